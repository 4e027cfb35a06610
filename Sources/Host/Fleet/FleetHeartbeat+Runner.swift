import Dispatch
import Glibc
import HostServer
import HostTenancy

extension FleetHeartbeat {
    /// `serve`'s heartbeat: published whenever session records go to Redis (a fleet shares one);
    /// nil with the in-memory store (a lone host has no fleet).
    static func start(for server: HostServer, store: SessionPersistence, configuration: HostConfiguration,
                      port: Int) -> FleetHeartbeat? {
        guard let redis = store as? RedisSessionPersistence else { return nil }
        let (hostID, address) = identity(configuration: configuration, port: port)
        let heartbeat = FleetHeartbeat(server: server, connection: redis.records.connection,
                                       hostID: hostID, address: address)
        heartbeat.start()
        return heartbeat
    }

    /// This host's id and the address other hosts reach it at (its heartbeat and its chat owner
    /// leases name it so).
    static func identity(configuration: HostConfiguration, port: Int) -> (hostID: String, address: String) {
        let listenHost = configuration.server.host
        // A wildcard listen address says nothing to a reader: name the machine instead.
        let shownHost = ["0.0.0.0", "::"].contains(listenHost) ? defaultHostID(port: port).dropLast("-\(port)".count).description : listenHost
        return (defaultHostID(port: port), "http://\(shownHost.contains(":") ? "[\(shownHost)]" : shownHost):\(port)")
    }

    /// Deletes the record before the host exits, waiting at most 2 s (the TTL covers the rest).
    func stopAndWait() {
        let done = DispatchSemaphore(value: 0)
        stop { done.signal() }
        _ = done.wait(timeout: .now() + 2)
    }
}
