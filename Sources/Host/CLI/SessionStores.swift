import Foundation
import HostNet
import HostServer
import HostSessions
import HostSupport
import HostTenancy

/// Chooses the session store for a configuration: Redis (with its fsync'd journal) when a URL is
/// configured, else memory (records live as long as the process).
public enum SessionStores {
    public static func make(_ redis: HostConfiguration.Redis) -> HostRunner.PersistenceFactory {
        { loop, services in
            if !redis.sentinels.isEmpty { return try sentinelStore(redis, loop: loop, services: services) }
            guard let url = redis.url, !url.isEmpty else {
                services.logger.log(.warning, "sessions", "no redis configured: session records are kept in memory only")
                return (InMemorySessionPersistence(), { (nil, ["session_store": "\"memory\""]) })
            }
            var options = RedisConnection.Options()
            options.commandTimeoutMilliseconds = redis.commandTimeoutMilliseconds
            let records = SessionRecordService(url: try RedisURL(parsing: url), loop: loop, journalPath: redis.journalPath,
                                               options: options, replicaAcks: redis.replicaAcks ?? 0,
                                               metrics: services.metrics, logger: services.logger)
            records.start()
            let store = RedisSessionPersistence(records)
            return (store, {
                let health = records.health
                return (health.reason, ["session_store": "\"redis\"", "redis": JSONText.quote("\(health.redis)"),
                                        "session_journal_depth": String(health.journalDepth)])
            })
        }
    }
}

/// The server's session store on Redis: previous sessions come from (and finished ones go to) the
/// record service, whose journal keeps what Redis could not take.
final class RedisSessionPersistence: SessionPersistence {
    let records: SessionRecordService

    init(_ records: SessionRecordService) {
        self.records = records
    }

    func previousSessions(tenant: String, caller: String, completion: @escaping @Sendable ([String]) -> Void) {
        records.previousSessions(tenant: tenant, caller: caller, completion: completion)
    }

    func close(report: @escaping @Sendable (SessionJournal.CloseReport) -> Void) {
        records.close(report: report)
    }

    func save(_ session: CompletedSession, durable: @escaping @Sendable () -> Void) {
        records.save(SessionRecord.Interaction(session),
            tenant: session.tenant, caller: session.caller, durable: { _ in durable() })
    }

    var savesConversationEnds: Bool { true }

    func save(_ session: CompletedSession, ending: ConversationEnd, durable: @escaping @Sendable () -> Void) {
        records.save(SessionRecord.Interaction(session),
            tenant: session.tenant, caller: session.caller, ending: ending, durable: { _ in durable() })
    }

    func saveLostCall(_ session: CompletedSession, durable: @escaping @Sendable () -> Void) {
        records.save(SessionRecord.Interaction(session),
            tenant: session.tenant, caller: session.caller, keepsCallCheckpoint: true, durable: { _ in durable() })
    }
}
