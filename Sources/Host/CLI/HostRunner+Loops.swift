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

    /// Starts loops 1..<count beside `first` (already listening on `port`).
    package static func start(count: Int, first: HostServer, settings: HostServer.Settings, port: Int, services: HostServices,
                      tenants: [ServedTenant], defaultTenant: String, store: SessionPersistence,
                      probe: @escaping @Sendable () -> (degraded: String?, fields: [String: String])) throws(HostRunner.Failure) -> HostLoops? {
        guard count > 1 else { return nil }
        var settings = settings
        settings.http.port = port
        settings.http.reusePort = true
        var servers = [first]
        var loops: [EventLoop] = []
        for index in 1..<count {
            let loop = EventLoop(name: "host-\(index)")
            loop.start()
            loops.append(loop)
            _ = services.addLoop(loop)
            let server = HostServer(settings: settings, loop: loop, services: services, tenants: tenants,
                                    defaultTenant: defaultTenant, persistence: store,
                                    verifyKey: { tenant, key in APIKeys.verify(key, against: tenant.apiKeyHashes) },
                                    healthProbe: probe)
            server.voice = first.voice
            server.checkpoints = first.checkpoints
            server.calls = first.calls
            servers.append(server)
        }
        let running = HostLoops(group: ServerLoops(servers), loops: loops, services: services)
        for server in servers.dropFirst() {
            do { try server.start() } catch {
                running.stop()
                throw HostRunner.Failure(description: "cannot listen on loop \(server.loop.name) at port \(port): \(error)", exitCode: 1)
            }
        }
        services.logger.log(.info, "server", "serving on \(count) loops (server.loops), each accepting on port \(port)")
        return running
    }

    /// Stops the other loops' listeners, their HTTP clients, then the loops (after a drain).
    package func stop() {
        for server in group.servers.dropFirst() { server.stop() }
        services.closeLoops()
        for loop in loops { loop.stop() }
    }
}
