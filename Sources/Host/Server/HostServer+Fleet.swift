extension HostServer {
    /// What a fleet heartbeat reports (loop thread): live sessions, the cap, draining, tenants.
    func fleetFacts() -> (active: Int, capacity: Int, draining: Bool, tenants: [String]) {
        (registry.count, settings.maxSessions, registry.draining, tenants.keys.sorted())
    }
}
