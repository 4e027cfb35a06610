import Foundation
import HostOrchestration

/// What the console shows that the host does not otherwise keep (docs/console.md): the events of
/// every live session (and of the last ended ones, for a while), and one-minute buckets of the
/// last hour for the charts. Fed by every server session's events; loop-confined.
final class ConsoleMonitor: @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread.
    /// Events kept per session (the oldest go first): enough for a long call's transcript.
    static let maxEventsPerSession = 500
    /// Ended sessions whose events stay viewable.
    static let maxEndedSessions = 50
    static let windowMinutes = 60

    struct Tail {
        var events: [String] = []
        /// Sequence number of `events[0]` (a page asks for what came after the last it saw).
        var first = 0
        var ended: String?
        var endedAt: Date?
        var next: Int { first + events.count }
    }

    struct Minute {
        let minute: Int
        var activeSessions = 0
        var sessionsStarted = 0
        var turns = 0
        var handoffs = 0
        var errors = 0
        var fallbacks = 0
        var latenciesMs: [Double] = []
    }

    private(set) var tails: [String: Tail] = [:]
    private var endedOrder: [String] = []
    private var minutes: [Minute] = []
    private var handoffsTo: [String: Int] = [:]
    private var handoffTimes: [(minute: Int, to: String)] = []
    private var errorCodes: [(minute: Int, code: String)] = []
    /// When each session's caller last finished speaking or typing (a final `user` event).
    private var turnStarted: [String: Date] = [:]
    /// The live session count, read when a bucket is touched.
    var activeSessions: () -> Int = { 0 }

    /// One event of session `sessionID` (loop thread).
    func record(_ event: ConversationEvent, sessionID: String, now: Date = Date()) {
        var tail = tails[sessionID] ?? Tail()
        // Partial transcripts (several a second while a caller talks) would crowd out the call's
        // history; the final one says it all.
        if case .user(_, false) = event {} else {
            tail.events.append(event.json)
            if tail.events.count > Self.maxEventsPerSession {
                tail.events.removeFirst()
                tail.first += 1
            }
        }
        update(now) { minute in
            switch event {
            case .session: minute.sessionsStarted += 1
            case .user(_, let final) where final: self.turnStarted[sessionID] = now
            case .agent:
                if let started = self.turnStarted.removeValue(forKey: sessionID) {
                    minute.latenciesMs.append(now.timeIntervalSince(started) * 1000)
                }
            case .turnEnd: minute.turns += 1
            case .handoff(_, let to, _):
                minute.handoffs += 1
                self.handoffTimes.append((minute.minute, to))
            case .error(let code, _):
                if code == "model_fallback" || code == "realtime_unavailable" { minute.fallbacks += 1 } else { minute.errors += 1 }
                self.errorCodes.append((minute.minute, code))
            default: break
            }
        }
        if case .end(let reason) = event {
            tail.ended = reason
            tail.endedAt = now
            turnStarted.removeValue(forKey: sessionID)
            endedOrder.append(sessionID)
            if endedOrder.count > Self.maxEndedSessions { tails.removeValue(forKey: endedOrder.removeFirst()) }
        }
        tails[sessionID] = tail
    }

    /// Events of `sessionID` numbered `after` and later (`after` counts from the session's first).
    func events(of sessionID: String, after: Int) -> (events: [String], next: Int, ended: String?)? {
        guard let tail = tails[sessionID] else { return nil }
        let start = max(after, tail.first) - tail.first
        return (start < tail.events.count ? Array(tail.events[start...]) : [], tail.next, tail.ended)
    }

    /// Recently ended sessions, newest first: id and reason.
    var recentlyEnded: [(id: String, reason: String, at: Date)] {
        endedOrder.reversed().compactMap { id in
            guard let tail = tails[id], let reason = tail.ended, let at = tail.endedAt else { return nil }
            return (id, reason, at)
        }
    }

    /// The charts' data: the last hour, one bucket a minute (docs/console.md, `GET /console/v1/stats`).
    func stats(now: Date = Date()) -> [String: Any] {
        update(now) { _ in }
        let current = Self.minute(now)
        let oldest = current - Self.windowMinutes + 1
        let byMinute = Dictionary(minutes.map { ($0.minute, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [[String: Any]] = []
        for index in oldest...current {
            let bucket = byMinute[index] ?? Minute(minute: index)
            var row: [String: Any] = ["t": index * 60, "active_sessions": bucket.activeSessions,
                                      "sessions_started": bucket.sessionsStarted, "turns": bucket.turns,
                                      "handoffs": bucket.handoffs, "errors": bucket.errors, "fallbacks": bucket.fallbacks]
            let sorted = bucket.latenciesMs.sorted()
            if !sorted.isEmpty {
                row["latency_ms"] = ["p50": Self.percentile(sorted, 0.5), "p90": Self.percentile(sorted, 0.9),
                                     "p99": Self.percentile(sorted, 0.99), "count": sorted.count]
            }
            rows.append(row)
        }
        var handoffs: [String: Int] = [:]
        for entry in handoffTimes where entry.minute >= oldest { handoffs[entry.to, default: 0] += 1 }
        var errors: [String: Int] = [:]
        for entry in errorCodes where entry.minute >= oldest { errors[entry.code, default: 0] += 1 }
        return ["window_minutes": Self.windowMinutes, "bucket_seconds": 60, "now": Int(now.timeIntervalSince1970),
                "active_sessions": activeSessions(), "minutes": rows, "handoffs_by_department": handoffs,
                "errors_by_code": errors]
    }

    /// The current minute's bucket (created, and the hour's oldest dropped, as time passes).
    private func update(_ now: Date, _ change: (inout Minute) -> Void) {
        let current = Self.minute(now)
        if minutes.last?.minute != current {
            minutes.append(Minute(minute: current))
            let oldest = current - Self.windowMinutes + 1
            minutes.removeAll { $0.minute < oldest }
            handoffTimes.removeAll { $0.minute < oldest }
            errorCodes.removeAll { $0.minute < oldest }
        }
        change(&minutes[minutes.count - 1])
        minutes[minutes.count - 1].activeSessions = max(minutes[minutes.count - 1].activeSessions, activeSessions())
    }

    static func minute(_ date: Date) -> Int { Int(date.timeIntervalSince1970 / 60) }

    /// Nearest-rank percentile of an ascending list.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return (sorted[max(0, min(sorted.count - 1, rank - 1))] * 10).rounded() / 10
    }
}
