import Foundation
import HostOrchestration
import HostSessions
import HostSupport
import Synchronization

/// A finished session, as the session record keeps it (docs/protocol.md §4).
public struct CompletedSession: Sendable {
    public struct Line: Sendable {
        public let role: String
        public let agent: String?
        public let text: String
    }

    public let sessionID: String
    public let tenant: String
    public let caller: String
    public let startedAt: Date
    public let endedAt: Date
    public let agents: [String]
    public let tools: [String]
    public let outcome: String
    /// Redacted only once `redacted()` ran (the record's storage path does that, off the loop).
    public private(set) var transcript: [Line]
    /// The tenant's `redact:` kinds not yet applied to `transcript`.
    private var pendingRedaction: Redaction
    /// The call's recording file (docs/telephony.md); nil: not recorded.
    public var recording: String?

    /// What a conversation knew when it ended: a copy, cheap enough for its loop thread (call it
    /// there; the state is loop-confined). The transcript is not redacted yet: `redacted()`.
    init(_ conversation: Conversation, outcome: String, endedAt: Date = Date()) {
        sessionID = conversation.id
        tenant = conversation.tenant.id
        caller = conversation.caller
        startedAt = conversation.startedAt
        self.endedAt = endedAt
        agents = conversation.agentsVisited
        tools = conversation.toolsCalled
        self.outcome = outcome
        // Lines carried over from a lost call this one continues are that call's (HostServer+LostCalls).
        transcript = conversation.history.dropFirst(min(conversation.inheritedLines, conversation.history.count))
            .map { Line(role: $0.role, agent: $0.agent, text: $0.text) }
        pendingRedaction = conversation.tenant.configuration.telephony.redaction
    }

    /// A voice call lost with its host, from its last checkpoint (HostServer+LostCalls.swift): it
    /// ended, as far as anyone knows, when that checkpoint was written.
    init(lostCall checkpoint: ChatCheckpoint, outcome: String, redaction: Redaction) {
        sessionID = checkpoint.sessionID
        tenant = checkpoint.tenant
        caller = checkpoint.caller
        startedAt = SessionRecord.parseTime(checkpoint.startedAt) ?? Date()
        endedAt = SessionRecord.parseTime(checkpoint.updatedAt) ?? Date()
        agents = checkpoint.agentsVisited
        tools = checkpoint.toolsCalled
        self.outcome = outcome
        transcript = checkpoint.history.dropFirst(min(checkpoint.inheritedLines ?? 0, checkpoint.history.count))
            .map { Line(role: $0.role, agent: $0.agent, text: $0.text) }
        pendingRedaction = redaction
    }

    /// The record as it may be stored: its transcript redacted with the tenant's `redact:` kinds
    /// (docs/telephony.md). Regular expressions over every line, so caller-sized: not on a loop
    /// thread. Idempotent (a redacted record has nothing pending).
    public func redacted() -> CompletedSession {
        guard !pendingRedaction.isEmpty else { return self }
        var copy = self
        copy.transcript = transcript.map { Line(role: $0.role, agent: $0.agent, text: pendingRedaction.apply($0.text)) }
        copy.pendingRedaction = Redaction()
        return copy
    }
}

/// Where session records live between calls (Redis in production). Implementations never block
/// the caller: `load` completes within its own timeout (with [] when the store is unreachable),
/// `save` accepts the record and is responsible for not losing it.
public protocol SessionPersistence: Sendable {
    /// The caller's earlier sessions as JSON summaries for the agents (`previous_sessions`), oldest first.
    func previousSessions(tenant: String, caller: String, completion: @escaping @Sendable ([String]) -> Void)
    /// Accepts a finished session. `durable` runs (on any thread) once the record survives a
    /// crash of this process — or, rarely, once it is known lost (then logged and counted): the
    /// server sends the session's `end` event only after it.
    func save(_ session: CompletedSession, durable: @escaping @Sendable () -> Void)
    /// Whether `save(_:ending:durable:)` makes the ending with the record; when false, the caller
    /// ends the conversation apart (its checkpoint and lease) once the record is durable.
    var savesConversationEnds: Bool { get }
    /// `save` that also makes the conversation's `ending` (its checkpoint deleted, its lease the
    /// ended marker) with the record, as durably as the record.
    func save(_ session: CompletedSession, ending: ConversationEnd, durable: @escaping @Sendable () -> Void)
    /// `save` for a lost call a sweep found (HostServer+LostCallSweep.swift): its call checkpoint
    /// stays, so a caller who calls back is still continued where they were.
    func saveLostCall(_ session: CompletedSession, durable: @escaping @Sendable () -> Void)
    /// At shutdown, after the last save: flushes and reports what did not reach the shared store.
    func close(report: @escaping @Sendable (SessionJournal.CloseReport) -> Void)
}

extension SessionPersistence {
    public var savesConversationEnds: Bool { false }
    /// Stores without conversation state to end: the record alone.
    public func save(_ session: CompletedSession, ending: ConversationEnd, durable: @escaping @Sendable () -> Void) {
        save(session, durable: durable)
    }
    /// Stores without call checkpoints: the record alone.
    public func saveLostCall(_ session: CompletedSession, durable: @escaping @Sendable () -> Void) {
        save(session, durable: durable)
    }
}

/// Keeps records in memory: for `chat --local`, tests, and a host run without Redis.
public final class InMemorySessionPersistence: SessionPersistence {
    private let records = Mutex<[String: [CompletedSession]]>([:])

    public init() {}

    public func previousSessions(tenant: String, caller: String, completion: @escaping @Sendable ([String]) -> Void) {
        let sessions = records.withLock { $0["\(tenant)\u{1F}\(caller)"] ?? [] }
        completion(sessions.map(Self.summary))
    }

    public func save(_ session: CompletedSession, durable: @escaping @Sendable () -> Void = {}) {
        records.withLock { all in
            var list = all["\(session.tenant)\u{1F}\(session.caller)", default: []]
            list.append(session)
            all["\(session.tenant)\u{1F}\(session.caller)"] = Array(list.suffix(10))
        }
        durable()
    }

    /// Memory is all there is: nothing was meant to outlive the process (the host warns at start).
    public func close(report: @escaping @Sendable (SessionJournal.CloseReport) -> Void) {
        report(SessionJournal.CloseReport(waiting: 0, lost: 0, path: "(memory)"))
    }

    public var count: Int { records.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// The callers of `tenant` with saved sessions.
    public func callers(tenant: String) -> [String] {
        records.withLock { all in all.keys.compactMap { key in
            let parts = key.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
            return parts.count == 2 && parts[0] == tenant ? parts[1] : nil
        } }
    }

    /// The saved sessions of one caller, oldest first.
    public func sessions(tenant: String, caller: String) -> [CompletedSession] {
        records.withLock { $0["\(tenant)\u{1F}\(caller)"] ?? [] }
    }

    static func summary(_ session: CompletedSession) -> String {
        let q = JSONText.quote
        let lines = session.transcript.suffix(4).map { line in
            "{\"role\":\(q(line.role)),\(line.agent.map { "\"agent\":\(q($0))," } ?? "")\"text\":\(q(line.text))}"
        }
        return "{\"session_id\":\(q(session.sessionID)),\"ended_at\":\(q(ISO8601DateFormatter().string(from: session.endedAt))),"
            + "\"agents\":[\(session.agents.map(q).joined(separator: ","))],\"tools\":[\(session.tools.map(q).joined(separator: ","))],"
            + "\"outcome\":\(q(session.outcome)),\"last_lines\":[\(lines.joined(separator: ","))]}"
    }
}
