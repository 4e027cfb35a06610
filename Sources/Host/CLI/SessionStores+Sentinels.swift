import HostNet
import HostPlugins
import HostServer
import HostSessions
import HostSupport
import HostTenancy

extension SessionStores {
    /// Redis through Sentinel: the connection asks the sentinels for the master before every
    /// attempt, and each record stays in the journal until `replica_acks` replicas hold it, so a
    /// failover loses none (docs/operations.md, `redis`).
    static func sentinelStore(_ redis: HostConfiguration.Redis, loop: EventLoop,
                              services: HostServices) throws -> (SessionPersistence, @Sendable () -> (degraded: String?, fields: [String: String])) {
        let addresses = redis.sentinels.compactMap(RedisSentinels.Address.init(parsing:))
        let name = redis.masterName ?? "mymaster"
        let askTimeout = min(redis.commandTimeoutMilliseconds, 1000)
        let sentinels = RedisSentinels(addresses, masterName: name, timeoutMilliseconds: Int(askTimeout))
        var options = RedisConnection.Options()
        options.commandTimeoutMilliseconds = redis.commandTimeoutMilliseconds
        // One attempt may ask every sentinel (each within askTimeout) before it connects.
        options.connectTimeoutMilliseconds = UInt64(addresses.count) * askTimeout + 1000
        // The master may be down for the sentinels' down-after time plus an election: keep
        // asking every second at most rather than backing off to 5 s.
        options.reconnectMaximumMilliseconds = 1000
        // `host` only names the connection in logs; the sentinels say where the master is.
        let url = RedisURL(host: "sentinel-master-\(name)", port: 6379, database: redis.database, password: redis.password)
        let records = SessionRecordService(url: url, loop: loop, journalPath: redis.journalPath, options: options,
                                           sentinels: sentinels, replicaAcks: redis.replicaAcks ?? 1,
                                           metrics: services.metrics, logger: services.logger)
        records.start()
        services.logger.log(.info, "sessions", "redis through sentinels \(addresses.map(\.description).joined(separator: ", ")) (master \"\(name)\")")
        let store = RedisSessionPersistence(records)
        return (store, {
            let health = records.health
            return (health.reason, ["session_store": "\"redis\"", "redis": JSONText.quote("\(health.redis)"),
                                    "redis_master": JSONText.quote(name),
                                    "session_journal_depth": String(health.journalDepth)])
        })
    }
}
