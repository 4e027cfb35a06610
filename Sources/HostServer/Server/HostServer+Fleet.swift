extension HostServer {
    /// What a fleet heartbeat reports (loop thread; `package`: the heartbeat lives with the app wiring): live sessions, the cap, draining, tenants.
    package func fleetFacts() -> (active: Int, capacity: Int, draining: Bool, tenants: [String]) {
        (registry.count, settings.maxSessions, registry.draining, tenants.keys.sorted())
    }
}
