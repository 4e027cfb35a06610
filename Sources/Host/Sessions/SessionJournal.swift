import Dispatch
import Foundation
import Synchronization

/// Session store health, for `/health` and metrics.
public struct SessionHealth: Sendable, Equatable, CustomStringConvertible {
    public enum Status: String, Sendable { case ok, degraded }
    public let status: Status
    /// Why degraded (nil when ok).
    public let reason: String?
    public let redis: RedisConnection.State
    /// Saves waiting in the local journal for Redis.
    public let journalDepth: Int

    public init(status: Status, reason: String?, redis: RedisConnection.State, journalDepth: Int) {
        self.status = status
        self.reason = reason
        self.redis = redis
        self.journalDepth = journalDepth
    }

    public var description: String { reason.map { "\(status.rawValue): \($0)" } ?? status.rawValue }
}

/// Redis faults lose nothing: the durable write path in front of `SessionStore.save`.
///
/// - While Redis is up and nothing is pending, a save goes straight to Redis (`.stored`).
/// - A save that fails (down, timeout, error reply) or arrives while older saves are pending is
///   appended to a local append-only file and fsynced before it is reported `.journaled`.
/// - When the connection is up again, pending saves are replayed in order through the same
///   atomic, idempotent save; the file is compacted as they land. Saves arriving meanwhile join
///   the end of the journal, so they keep their order behind the older ones.
/// - `start()` replays a journal left by an earlier process (a host that crashed keeps its records).
/// - A save Redis keeps *rejecting* (error replies, not outages) is moved to `<path>.rejected`
///   after `maxErrorReplies` tries so one bad record cannot block the others; it is still on disk.
///
/// Threading: all state and all file I/O live on one serial DispatchQueue (fsync is slow and
/// must never run on an event loop). Store completions arrive on the loop and hop to the queue.
/// `depth`, `health` and `pending(tenant:caller:)` are readable from any thread.
///
/// Window not covered: a save still in flight to Redis (≤ the command timeout) when the process
/// is killed. `close()` waits for in-flight saves, so an orderly shutdown loses nothing.
public final class SessionJournal: @unchecked Sendable {
    // @unchecked: mutable state below is confined to `queue`; cross-thread reads go through
    // `depthValue`, `pendingIndex` and `journalError`.

    public enum SaveOutcome: Sendable, Equatable {
        /// In Redis.
        case stored
        /// On local disk (fsynced), to be replayed into Redis.
        case journaled
        /// Neither Redis nor the journal took it (disk failure too); logged at error level.
        case lost(String)
    }

    public let store: SessionStore
    public let path: String
    /// Delay before retrying a replay that failed while the connection still looked up.
    public let retryMilliseconds: Int
    public let maxErrorReplies: Int
    private let metrics: MetricsRegistry?
    private let logger: Logger
    private let queue: DispatchQueue
    private let file: JournalFile

    private let depthValue = Atomic<Int>(0)
    private let pendingIndex = Mutex<[String: [SessionRecord.Interaction]]>([:])
    private let journalError = Mutex<String?>(nil)

    // MARK: queue state

    private struct Entry {
        let tenant: String
        let caller: String
        let interaction: SessionRecord.Interaction
        /// The interaction as JSON (what the save script takes).
        let json: String
        /// The journal line.
        let line: String
        var errorReplies = 0
    }

    /// Pending entries are `entries[head...]` (a moving head instead of O(n) removeFirst).
    private var entries: [Entry] = []
    private var head = 0
    private var loaded = false
    private var replaying = false
    private var directInFlight = 0
    private var closing = false
    private var closeWaiters: [@Sendable () -> Void] = []
    private var retryScheduled = false
    private var removedSinceCompaction = 0

    private var pendingCount: Int { entries.count - head }

    public init(store: SessionStore, path: String, retryMilliseconds: Int = 1000, maxErrorReplies: Int = 5,
                metrics: MetricsRegistry? = nil, logger: Logger = .shared) {
        self.store = store
        self.path = path
        self.retryMilliseconds = retryMilliseconds
        self.maxErrorReplies = maxErrorReplies
        self.metrics = metrics
        self.logger = logger
        self.queue = DispatchQueue(label: "agent-host.session-journal")
        self.file = JournalFile(path: path)
        metrics?.describe("agent_host_redis_up", type: "gauge", help: "1 while the session store's Redis connection is up.")
        metrics?.describe("agent_host_session_journal_depth", type: "gauge", help: "Session saves waiting in the local journal for Redis.")
        metrics?.describe("agent_host_session_saves_total", type: "counter",
                          help: "Session saves by result: stored (direct), journaled, replayed (journal to Redis), rejected (moved aside), lost.")
        metrics?.set("agent_host_redis_up", store.connection.state == .connected ? 1 : 0)
        metrics?.set("agent_host_session_journal_depth", 0)
        store.connection.observeState { [weak self] state in
            guard let self else { return }
            self.metrics?.set("agent_host_redis_up", state == .connected ? 1 : 0)
            if state == .connected { self.queue.async { self.kickReplay() } }
        }
    }

    // MARK: public API (any thread)

    /// [thread-safe] Loads a journal left by an earlier process and replays it once Redis is up.
    public func start() {
        queue.async { [self] in
            loadIfNeeded()
            kickReplay()
        }
    }

    /// [thread-safe] Saves durably. `completion` (on the journal's queue) says where the record
    /// is: `.stored` in Redis, `.journaled` on disk. It arrives within the command timeout plus
    /// an fsync.
    public func save(_ interaction: SessionRecord.Interaction, tenant: String, caller: String,
                     completion: (@Sendable (SaveOutcome) -> Void)? = nil) {
        let json: String
        do { json = try interaction.jsonText() } catch {
            count("lost")
            logger.log(.error, "sessions", "cannot encode session \(interaction.sessionID): \(error)")
            completion?(.lost("cannot encode: \(error)"))
            return
        }
        let line = "{\"v\":1,\"tenant\":" + JSONText.quote(tenant) + ",\"caller\":" + JSONText.quote(caller)
            + ",\"interaction\":" + json + "}"
        let entry = Entry(tenant: tenant, caller: caller, interaction: interaction, json: json, line: line)
        queue.async { [self] in
            loadIfNeeded()
            // Straight to Redis only when nothing older is waiting (order) and Redis is up.
            if pendingCount == 0, !replaying, !closing, store.connection.state == .connected {
                directInFlight += 1
                store.save(json: json, tenant: tenant, caller: caller) { [self] result in
                    queue.async { [self] in
                        directInFlight -= 1
                        switch result {
                        case .success:
                            count("stored")
                            completion?(.stored)
                        case .failure(let error):
                            logger.log(.warning, "sessions", "save \(interaction.sessionID) failed (\(error)); journaling it")
                            completion?(journal(entry))
                            kickReplay()
                        }
                        checkClosed()
                    }
                }
            } else {
                completion?(journal(entry))
                kickReplay()
            }
        }
    }

    /// [thread-safe] `save` for async callers.
    public func save(_ interaction: SessionRecord.Interaction, tenant: String, caller: String) async -> SaveOutcome {
        await withCheckedContinuation { continuation in
            save(interaction, tenant: tenant, caller: caller) { continuation.resume(returning: $0) }
        }
    }

    /// [thread-safe] Saves waiting in the journal.
    public var depth: Int { depthValue.load(ordering: .acquiring) }

    /// [thread-safe] ok, or degraded with the reason (Redis not connected, journal non-empty,
    /// journal file failing).
    public var health: SessionHealth {
        let redis = store.connection.state
        let depth = depth
        var reasons: [String] = []
        if redis != .connected {
            reasons.append("redis \(store.connection.url) \(redis)" + (store.connection.lastError.map { " (\($0))" } ?? ""))
        }
        if depth > 0 { reasons.append("\(depth) session record(s) waiting in the journal") }
        if let error = journalError.withLock({ $0 }) { reasons.append("journal: \(error)") }
        return SessionHealth(status: reasons.isEmpty ? .ok : .degraded,
                             reason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
                             redis: redis, journalDepth: depth)
    }

    /// [thread-safe] The journaled (not yet in Redis) interactions for one caller, oldest first:
    /// a caller who calls back while Redis is down still finds their last session.
    public func pending(tenant: String, caller: String) -> [SessionRecord.Interaction] {
        pendingIndex.withLock { $0[SessionRecord.key(tenant: tenant, caller: caller)] ?? [] }
    }

    /// [thread-safe] Stops replaying, waits for saves in flight to Redis (each bounded by the
    /// command timeout; failures are journaled), closes the file. Later saves still journal.
    public func close(completion: (@Sendable () -> Void)? = nil) {
        queue.async { [self] in
            closing = true
            if let completion { closeWaiters.append(completion) }
            checkClosed()
        }
    }

    // MARK: queue internals

    /// Appends to the file (fsync) and the in-memory list. Only after both is the save accepted.
    private func journal(_ entry: Entry) -> SaveOutcome {
        do {
            try file.append([entry.line])
        } catch {
            journalError.withLock { $0 = "\(error)" }
            count("lost")
            logger.log(.error, "sessions", "session \(entry.interaction.sessionID) for \(entry.tenant)/\(entry.caller) LOST: "
                       + "redis unavailable and journal write failed: \(error)")
            return .lost("journal write failed: \(error)")
        }
        journalError.withLock { $0 = nil }
        entries.append(entry)
        pendingIndex.withLock { $0[SessionRecord.key(tenant: entry.tenant, caller: entry.caller), default: []].append(entry.interaction) }
        publishDepth()
        count("journaled")
        return .journaled
    }

    private func loadIfNeeded() {
        guard !loaded else { return }
        loaded = true
        let read: (lines: [String], torn: String?)
        do { read = try file.readLines() } catch {
            journalError.withLock { $0 = "\(error)" }
            logger.log(.error, "sessions", "cannot read session journal: \(error)")
            return
        }
        struct Stored: Decodable {
            let tenant: String
            let caller: String
            let interaction: SessionRecord.Interaction
        }
        var unreadable: [(String, String)] = []
        if let torn = read.torn { unreadable.append((torn, "incomplete last line (crash during write; never acknowledged)")) }
        for line in read.lines {
            do {
                let stored = try JSONDecoder().decode(Stored.self, from: Data(line.utf8))
                let entry = Entry(tenant: stored.tenant, caller: stored.caller, interaction: stored.interaction,
                                  json: try stored.interaction.jsonText(), line: line)
                entries.append(entry)
                pendingIndex.withLock { $0[SessionRecord.key(tenant: entry.tenant, caller: entry.caller), default: []].append(entry.interaction) }
            } catch {
                unreadable.append((line, "unreadable journal line: \(error)"))
            }
        }
        for (line, reason) in unreadable {
            try? file.reject(line, reason: reason)
            logger.log(.warning, "sessions", "\(reason); moved to \(file.rejectedPath)")
        }
        // A torn or unreadable line must go before the next append glues a line onto it.
        if !unreadable.isEmpty { compact(force: true) }
        publishDepth()
        if pendingCount > 0 {
            logger.log(.info, "sessions", "session journal \(path) holds \(pendingCount) save(s) from an earlier run; replaying when redis is up")
        }
    }

    private func kickReplay() {
        guard !replaying, !closing, pendingCount > 0, store.connection.state == .connected else { return }
        replaying = true
        replayNext()
    }

    private func replayNext() {
        guard !closing, head < entries.count else { return finishReplay(failure: nil) }
        let entry = entries[head]
        store.save(json: entry.json, tenant: entry.tenant, caller: entry.caller) { [self] result in
            queue.async { [self] in
                switch result {
                case .success:
                    removeHead()
                    count("replayed")
                    if removedSinceCompaction >= 256 { compact() }
                    replayNext()
                case .failure(let error) where error.isTransient:
                    finishReplay(failure: "\(error)")
                case .failure(let error):
                    entries[head].errorReplies += 1
                    if entries[head].errorReplies >= maxErrorReplies {
                        let reason = "redis rejected it \(maxErrorReplies) times: \(error)"
                        do {
                            try file.reject(entry.line, reason: reason)
                            logger.log(.error, "sessions", "session \(entry.interaction.sessionID): \(reason); moved to \(file.rejectedPath)")
                            removeHead()
                            count("rejected")
                            replayNext()
                        } catch {
                            finishReplay(failure: "cannot move a rejected save aside: \(error)")
                        }
                    } else {
                        finishReplay(failure: "\(error)")
                    }
                }
            }
        }
    }

    private func finishReplay(failure: String?) {
        replaying = false
        compact()
        if let failure {
            logger.log(.warning, "sessions", "journal replay paused (\(pendingCount) pending): \(failure)")
            scheduleRetry()
        } else if pendingCount == 0 {
            logger.log(.info, "sessions", "session journal replayed")
        }
        checkClosed()
        // Saves journaled while the last command was in flight are picked up here.
        if failure == nil { kickReplay() }
    }

    /// A retry for failures the connection state will not announce (error replies, a timeout on a
    /// connection that came back before we noticed).
    private func scheduleRetry() {
        guard !retryScheduled, !closing else { return }
        retryScheduled = true
        queue.asyncAfter(deadline: .now() + .milliseconds(retryMilliseconds)) { [self] in
            retryScheduled = false
            kickReplay()
        }
    }

    private func removeHead() {
        let entry = entries[head]
        head += 1
        removedSinceCompaction += 1
        pendingIndex.withLock { index in
            let key = SessionRecord.key(tenant: entry.tenant, caller: entry.caller)
            guard var list = index[key] else { return }
            if let at = list.firstIndex(where: { $0.sessionID == entry.interaction.sessionID }) { list.remove(at: at) }
            index[key] = list.isEmpty ? nil : list
        }
        publishDepth()
    }

    /// Rewrites the file to the pending entries (truncates it when none are left); a no-op when
    /// nothing was removed since the last rewrite, unless `force`d.
    private func compact(force: Bool = false) {
        guard force || removedSinceCompaction > 0 else { return }
        if head > 0 {
            entries.removeFirst(head)
            head = 0
        }
        do {
            try file.rewrite(entries.map(\.line))
            removedSinceCompaction = 0
        } catch {
            // The old file still holds everything pending (plus replayed lines, which replay
            // idempotently), so nothing is lost; retry at the next compaction.
            journalError.withLock { $0 = "compaction failed: \(error)" }
            logger.log(.error, "sessions", "session journal compaction failed: \(error)")
        }
    }

    private func checkClosed() {
        guard closing, directInFlight == 0, !replaying else { return }
        file.close()
        let waiters = closeWaiters
        closeWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    private func publishDepth() {
        depthValue.store(pendingCount, ordering: .releasing)
        metrics?.set("agent_host_session_journal_depth", Double(pendingCount))
    }

    private func count(_ result: String) {
        metrics?.increment("agent_host_session_saves_total", labels: ["result": result])
    }
}
