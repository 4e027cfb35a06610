import HostServer
import HostSessions

/// What lets a conversation outlive its host (docs/scaling.md): checkpoints after every turn and an
/// owner lease per conversation, on a Redis session store only. `serve` and the `server` benchmark
/// set them up through these two functions, so the benchmark's turns cost what a served turn does.
extension HostRunner {
    /// Chat and call checkpoints for `server` (before `HostLoops.start`, which gives every other
    /// loop its own on its own connection). Nothing without Redis.
    package static func checkpointConversations(of server: HostServer, store: SessionPersistence, idleMilliseconds: UInt64) {
        guard let redis = store as? RedisSessionPersistence else { return }
        server.checkpoints = RedisChatCheckpoints(connection: redis.records.connection, ttlSeconds: Int(idleMilliseconds / 1000))
        server.calls = RedisCallCheckpoints(connection: redis.records.connection)
    }

    /// Owner leases for every loop's server, the fleet's peers for hand-overs at a drain, and the
    /// heartbeats a callback asks before taking a call for lost. Nothing without Redis.
    package static func holdConversations(servers: [HostServer], loops: HostLoops?, store: SessionPersistence,
                                          hostID: String, address: String) {
        guard let redis = store as? RedisSessionPersistence else { return }
        // Chat owner leases (docs/scaling.md, "Owner leases"): one identity for all loops.
        // Each loop claims and renews through its own connection (HostLoops+Redis), as the same owner.
        // Each loop holds its leases with its own text (ChatOwner.loop): a release or claim of one
        // loop can never drop or take a lease another loop of this process holds.
        let owner = ChatOwner(hostID: hostID, address: address)
        for (index, each) in servers.enumerated() {
            let connection = loops?.redisConnection(forServerAt: index) ?? redis.records.connection
            each.holdOwnerLeases(RedisChatOwnerLeases(connection: connection, me: owner.onLoop(servers.count > 1 ? index : nil)))
        }
        // Calls of dead processes whose callers never call back: one loop looks for them (HostServer+LostCallSweep).
        if let first = servers.first { first.loop.execute { first.startLostCallSweep() } }
        // Hand-over at the drain deadline only to a fleet that can take it (FleetPeers), read
        // once per heartbeat interval for all the host's conversations (FleetPeersCache).
        let peers = FleetPeersCache(me: hostID, connection: redis.records.connection,
                                    maxAgeMilliseconds: FleetHeartbeat.defaultIntervalMilliseconds)
        for each in servers {
            each.handOverPossible = { tenant, answer in peers.anotherServes(tenant: tenant, answer: answer) }
            each.hostHeartbeat = { hostID, answer in
                peers.members { members in
                    guard let members else { return answer(.unknown) }
                    answer(members.first { $0.hostID == hostID }.map { .startedAt($0.startedAt) } ?? .absent)
                }
            }
        }
    }
}
