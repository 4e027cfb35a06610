import Synchronization

/// The admission counts every loop of one host shares (`server.loops`): live sessions in total,
/// per tenant and per caller, which loop owns each session, and whether the host is draining.
/// One host's limits hold across its loops, and /ready, /health, /metrics and the fleet heartbeat
/// answer the same from any loop. [thread-safe]: one mutex, held only for a few dictionary steps.
package final class SessionCounts: Sendable {
    private struct State {
        var total = 0
        var perTenant: [String: Int] = [:]
        var perCaller: [String: Int] = [:]
        var owners: [String: Int] = [:]
        var perLoop: [Int: Int] = [:]
        /// Sessions some loop is resuming from their checkpoint right now (not yet in `owners`).
        var resuming: Set<String> = []
        var draining = false
    }

    private let state = Mutex(State())

    package init() {}

    package var total: Int { state.withLock { $0.total } }

    package var draining: Bool {
        get { state.withLock { $0.draining } }
        set { state.withLock { $0.draining = newValue } }
    }

    /// Sets draining; false when it already was.
    package func startDraining() -> Bool {
        state.withLock { state in
            defer { state.draining = true }
            return !state.draining
        }
    }

    /// Checks the limits for a new session. The check and the later `add` are two steps: two
    /// loops admitting at the same instant can pass the last place together, so a cap can be
    /// passed by at most `loops - 1` sessions (never with one loop). Admission (and the early check
    /// of a WebSocket handshake) stays the same as with one registry.
    func check(tenant: String, callerKey key: String, globalCap: Int, tenantCap: Int, callerCap: Int) -> SessionRegistry.Refusal? {
        state.withLock { state in
            if state.draining { return .draining }
            if state.total >= globalCap { return .atCapacity }
            if state.perTenant[tenant, default: 0] >= tenantCap { return .tenantAtCapacity(tenant) }
            if state.perCaller[key, default: 0] >= callerCap { return .callerLimit("") }
            return nil
        }
    }

    func add(_ id: String, tenant: String, callerKey key: String, loop: Int) {
        state.withLock { state in
            guard state.owners.updateValue(loop, forKey: id) == nil else { return }
            state.perLoop[loop, default: 0] += 1
            state.total += 1
            state.perTenant[tenant, default: 0] += 1
            state.perCaller[key, default: 0] += 1
        }
    }

    func release(_ id: String, tenant: String, callerKey key: String) {
        state.withLock { state in
            guard let loop = state.owners.removeValue(forKey: id) else { return }
            state.perLoop[loop, default: 1] -= 1
            state.total -= 1
            state.perTenant[tenant, default: 1] -= 1
            state.perCaller[key, default: 1] -= 1
            if state.perCaller[key] == 0 { state.perCaller.removeValue(forKey: key) }
        }
    }

    /// Live sessions on each of `loops` loops (index order).
    package func sessionsPerLoop(_ loops: Int) -> [Int] {
        state.withLock { state in (0..<loops).map { state.perLoop[$0, default: 0] } }
    }

    /// Claims the resumption of session `id` for the calling loop: false when a loop of this host
    /// serves it already or another request is resuming it. Why here and not the owner lease: every
    /// loop of a host holds leases under the same identity, so two loops resuming one conversation
    /// at once would both be granted its lease and serve two copies of it.
    func beginResume(_ id: String) -> Bool {
        state.withLock { state in
            guard state.owners[id] == nil else { return false }
            return state.resuming.insert(id).inserted
        }
    }

    /// The resumption `beginResume` claimed is over (the session is in `owners` now, or was refused).
    func endResume(_ id: String) {
        _ = state.withLock { $0.resuming.remove(id) }
    }

    /// The loop (index) serving session `id`, nil when no loop of this host does.
    package func owner(of id: String) -> Int? { state.withLock { $0.owners[id] } }
}
