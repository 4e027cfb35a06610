import HostNet
import HostPlugins
import HostServer
import HostSessions
import HostSupport
import HostTenancy

/// `server.loops` > 1: the host's other loops, each a `HostServer` on its own thread accepting on
/// the first server's port (SO_REUSEPORT) over the same tenants, plugins, services and session
/// store (docs/architecture.md, threading model).
package struct HostLoops {
    package let group: ServerLoops
    package let loops: [EventLoop]
    let services: HostServices
    /// Each extra loop's own Redis connection (index i: loop i + 1), nil without Redis or with
    /// `redisPerLoop` off (HostLoops+Redis).
    let redis: [LoopRedis?]

    /// Starts loops 1..<count beside `first` (already listening on `port`).
    package static func start(count: Int, first: HostServer, settings: HostServer.Settings, port: Int, services: HostServices,
                      tenants: [ServedTenant], defaultTenant: String, store: SessionPersistence,
                      probe: @escaping @Sendable () -> (degraded: String?, fields: [String: String]),
                      redisPerLoop: Bool = true) throws(HostRunner.Failure) -> HostLoops? {
        guard count > 1 else { return nil }
        var settings = settings
        settings.http.port = port
        settings.http.reusePort = true
        var servers = [first]
        var loops: [EventLoop] = []
        var redis: [LoopRedis?] = []
        for index in 1..<count {
            let loop = EventLoop(name: "host-\(index)", threadName: "loop-\(index)")
            loop.start()
            loops.append(loop)
            _ = services.addLoop(loop)
            var persistence = store
            var own: LoopRedis?
            if redisPerLoop, let shared = store as? RedisSessionPersistence {
                let connection = LoopRedis(sharing: shared.records, loop: loop, services: services)
                persistence = LoopSessionPersistence(shared: shared, reader: connection.reader)
                own = connection
            }
            redis.append(own)
            let server = HostServer(settings: settings, loop: loop, services: services, tenants: tenants,
                                    defaultTenant: defaultTenant, persistence: persistence,
                                    verifyKey: { tenant, key in APIKeys.verify(key, against: tenant.apiKeyHashes) },
                                    healthProbe: probe)
            server.voice = first.voice
            if let own, first.checkpoints is RedisChatCheckpoints {
                server.checkpoints = RedisChatCheckpoints(connection: own.connection, ttlSeconds: Int(settings.sessionIdleMilliseconds / 1000),
                                                          logger: services.logger)
            } else {
                server.checkpoints = first.checkpoints
            }
            if let own, first.calls is RedisCallCheckpoints {
                server.calls = RedisCallCheckpoints(connection: own.connection, logger: services.logger)
            } else {
                server.calls = first.calls
            }
            servers.append(server)
        }
        let running = HostLoops(group: ServerLoops(servers), loops: loops, services: services, redis: redis)
        for server in servers.dropFirst() {
            do { try server.start() } catch {
                running.stop()
                throw HostRunner.Failure(description: "cannot listen on loop \(server.loop.name) at port \(port): \(error)", exitCode: 1)
            }
        }
        // The TIDs tell the loops from pool threads that inherited their names (docs/operations.md, "Threads").
        let threads = ([first.loop] + loops).map { "\($0.threadName) \($0.threadID)" }.joined(separator: ", ")
        services.logger.log(.info, "server", "serving on \(count) loops (server.loops), each accepting on port \(port); threads (name TID): \(threads)")
        return running
    }

    /// The Redis connection the server at `index` of `group.servers` uses for its sessions' own
    /// commands (checkpoints, owner leases): its loop's, or nil for the first loop's (the store's).
    package func redisConnection(forServerAt index: Int) -> RedisConnection? {
        index >= 1 && index - 1 < redis.count ? redis[index - 1]?.connection : nil
    }

    /// Stops the other loops' listeners, their HTTP clients and Redis connections, then the loops (after a drain).
    package func stop() {
        for server in group.servers.dropFirst() { server.stop() }
        services.closeLoops()
        for connection in redis { connection?.close() }
        for loop in loops { loop.stop() }
    }
}
