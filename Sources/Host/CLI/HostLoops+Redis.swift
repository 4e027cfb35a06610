import Dispatch
import HostNet
import HostPlugins
import HostServer
import HostSessions
import HostSupport

/// `server.loops` > 1 with Redis (issue #16): each extra loop's own hiredis connection, so a
/// session on that loop reads its caller's record, saves its checkpoints and claims and renews its
/// owner lease without two hops to the first loop and back per command (docs/architecture.md,
/// threading model). Same URL, options and sentinels as the session store's connection, so it
/// follows a Sentinel failover the same way (it asks the sentinels before every connection attempt).
///
/// What stays on the first loop's connection: the journal (its saves drain one at a time, in
/// order, from its own queue: one connection keeps that order and its no-loss guarantee exactly as
/// before), the fleet heartbeat and `FleetPeersCache`.
final class LoopRedis: Sendable {
    let connection: RedisConnection
    /// Loads of earlier sessions, through `connection` (merged with the shared journal by the caller).
    let reader: SessionStore

    init(sharing records: SessionRecordService, loop: EventLoop, services: HostServices) {
        let shared = records.connection
        connection = RedisConnection(url: shared.url, loop: loop, options: shared.options, sentinels: shared.sentinels,
                                     logger: services.logger)
        reader = SessionStore(connection: connection, keep: records.store.keep, ttlSeconds: records.store.ttlSeconds,
                              replicaAcks: records.store.replicaAcks, metrics: services.metrics, logger: services.logger)
        connection.start()
    }

    /// [thread-safe] Closes the connection (commands still open fail with `closed`); waits at most
    /// `seconds` (from any thread but this connection's loop).
    func close(waitingAtMost seconds: Double = 2) {
        let closed = DispatchSemaphore(value: 0)
        connection.close { closed.signal() }
        _ = closed.wait(timeout: .now() + seconds)
    }
}

/// The session store as one extra loop sees it: earlier sessions read through the loop's own
/// connection (and the shared journal's pending saves, as on the first loop); saves and close go
/// to the shared store and its journal, unchanged.
final class LoopSessionPersistence: SessionPersistence {
    let shared: RedisSessionPersistence
    let reader: SessionStore

    init(shared: RedisSessionPersistence, reader: SessionStore) {
        self.shared = shared
        self.reader = reader
    }

    func previousSessions(tenant: String, caller: String, completion: @escaping @Sendable ([String]) -> Void) {
        shared.records.previousSessions(tenant: tenant, caller: caller, from: reader, completion: completion)
    }

    func save(_ session: CompletedSession, durable: @escaping @Sendable () -> Void) {
        shared.save(session, durable: durable)
    }

    var savesConversationEnds: Bool { true }

    func save(_ session: CompletedSession, ending: ConversationEnd, durable: @escaping @Sendable () -> Void) {
        shared.save(session, ending: ending, durable: durable)
    }

    func saveLostCall(_ session: CompletedSession, durable: @escaping @Sendable () -> Void) {
        shared.saveLostCall(session, durable: durable)
    }

    func close(report: @escaping @Sendable (SessionJournal.CloseReport) -> Void) {
        shared.close(report: report)
    }
}
