import HostNet
import HostSupport

/// The session records of docs/protocol.md §4, wired for the orchestration: one Redis connection, the
/// store, the journal in front of its saves, health.
///
/// - `previousSessions` when a session starts: never waits longer than the command timeout
///   (500 ms); answers at once while Redis is down; includes saves still in the journal.
/// - `save` when a session ends: durable (Redis, or fsynced journal), never blocks the caller.
public final class SessionRecordService: Sendable {
    public let connection: RedisConnection
    public let store: SessionStore
    public let journal: SessionJournal

    public init(url: RedisURL, loop: EventLoop, journalPath: String,
                options: RedisConnection.Options = RedisConnection.Options(),
                keep: Int = 10, ttlSeconds: Int = 86_400, sentinels: RedisSentinels? = nil, replicaAcks: Int = 0,
                metrics: MetricsRegistry? = nil, logger: Logger = .shared) {
        connection = RedisConnection(url: url, loop: loop, options: options, sentinels: sentinels, logger: logger)
        store = SessionStore(connection: connection, keep: keep, ttlSeconds: ttlSeconds, replicaAcks: replicaAcks,
                             metrics: metrics, logger: logger)
        journal = SessionJournal(store: store, path: journalPath, metrics: metrics, logger: logger)
    }

    /// [thread-safe] Connects and replays a journal left by an earlier run.
    public func start() {
        connection.start()
        journal.start()
    }

    /// [thread-safe] The caller's earlier interactions, oldest first, at most `keep`: Redis's
    /// record merged with saves still in the local journal. `[]` on a miss, and also when Redis
    /// fails (the failure shows in `health`, the log and `agent_host_session_loads_total`).
    /// Completes on the loop thread.
    public func interactions(tenant: String, caller: String,
                             completion: @escaping @Sendable ([SessionRecord.Interaction]) -> Void) {
        interactions(tenant: tenant, caller: caller, from: store, completion: completion)
    }

    /// [thread-safe] `interactions`, read through `reader` (a store on another loop's own
    /// connection, `server.loops`: docs/architecture.md) and merged with this service's journal.
    /// Completes on `reader`'s loop thread.
    public func interactions(tenant: String, caller: String, from reader: SessionStore,
                             completion: @escaping @Sendable ([SessionRecord.Interaction]) -> Void) {
        // Pending saves are read before and after the load: on another loop's connection the
        // journal's append (on its own connection) may land, and leave the journal, between Redis
        // answering this read and the answer arriving; the first look still has it.
        let pendingBefore = journal.pending(tenant: tenant, caller: caller)
        reader.load(tenant: tenant, caller: caller) { [self] result in
            let stored = (try? result.get()) ?? []
            let after = journal.pending(tenant: tenant, caller: caller)
            let afterIDs = Set(after.map(\.sessionID))
            let pending = pendingBefore.filter { !afterIDs.contains($0.sessionID) } + after
            guard !pending.isEmpty else { return completion(stored) }
            let journaledIDs = Set(pending.map(\.sessionID))
            let merged = (stored.filter { !journaledIDs.contains($0.sessionID) } + pending)
                .enumerated().sorted { ($0.element.endedAt, $0.offset) < ($1.element.endedAt, $1.offset) }
                .map(\.element)
            completion(Array(merged.suffix(store.keep)))
        }
    }

    /// [thread-safe] `interactions` for async callers.
    public func interactions(tenant: String, caller: String) async -> [SessionRecord.Interaction] {
        await withCheckedContinuation { continuation in
            interactions(tenant: tenant, caller: caller) { continuation.resume(returning: $0) }
        }
    }

    /// [thread-safe] The JSON summaries for `Conversation(previousSessions:)`, oldest first.
    public func previousSessions(tenant: String, caller: String, limit: Int = 10, lastLines: Int = 4,
                                 from reader: SessionStore? = nil, completion: @escaping @Sendable ([String]) -> Void) {
        interactions(tenant: tenant, caller: caller, from: reader ?? store) { list in
            completion(SessionSummary.previousSessions(list, limit: limit, lastLines: lastLines))
        }
    }

    /// [thread-safe] Saves a finished session durably (see `SessionJournal.save`).
    public func save(_ interaction: SessionRecord.Interaction, tenant: String, caller: String, ending: ConversationEnd? = nil,
                     keepsCallCheckpoint: Bool = false,
                     durable: (@Sendable (SessionJournal.SaveOutcome) -> Void)? = nil,
                     completion: (@Sendable (SessionJournal.SaveOutcome) -> Void)? = nil) {
        journal.save(interaction, tenant: tenant, caller: caller, ending: ending, keepsCallCheckpoint: keepsCallCheckpoint,
                     durable: durable, completion: completion)
    }

    /// [thread-safe] ok / degraded with a reason, for `/health`.
    public var health: SessionHealth { journal.health }

    /// [thread-safe] Waits for saves in flight (bounded by the command timeout), then closes the
    /// journal and the connection. Call before stopping the loop.
    public func close(completion: (@Sendable () -> Void)? = nil) {
        close { _ in completion?() }
    }

    /// [thread-safe] `close`, reporting the records left outside Redis.
    public func close(report: @escaping @Sendable (SessionJournal.CloseReport) -> Void) {
        journal.close(report: { [connection] result in
            connection.close { report(result) }
        })
    }
}
