import Foundation
import HostNet
import HostTenancy

/// The sessions a host serves, with the limits that admit new ones: per caller (rate limiting of
/// concurrent calls), per tenant, and the global cap after which /ready answers 503.
/// Loop-confined: used only on the server's loop thread (checked in debug builds).
package final class SessionRegistry {
    enum Refusal: Error {
        case draining
        case atCapacity
        case tenantAtCapacity(String)
        case callerLimit(String)

        var status: Int {
            switch self {
            case .draining, .atCapacity, .tenantAtCapacity: return 503
            case .callerLimit: return 429
            }
        }

        var message: String {
            switch self {
            case .draining: return "the host is draining for shutdown: try again on another instance"
            case .atCapacity: return "the host is at its session capacity: try again shortly"
            case .tenantAtCapacity(let tenant): return "tenant \(tenant) is at its concurrent-session limit"
            case .callerLimit(let caller): return "caller \(caller) already has the maximum number of concurrent sessions"
            }
        }
    }

    let globalCap: Int
    /// This loop's sessions; the counts that admit new ones are `counts`, shared by every loop of
    /// the host (SessionCounts.swift): one loop's registry owns only its own sessions.
    private(set) var sessions: [String: ServerSession] = [:]
    /// Replaced (before serving) by the host's shared counts when it runs several loops.
    package var counts = SessionCounts()
    /// Which of the host's loops this registry serves (label of `agent_host_loop_sessions`).
    package var loopIndex = 0
    var draining: Bool {
        get { counts.draining }
        set { counts.draining = newValue }
    }
    private let loop: EventLoop

    init(globalCap: Int, loop: EventLoop) {
        self.globalCap = globalCap
        self.loop = loop
    }

    /// Live sessions on every loop of the host (what /health, /ready and the heartbeat report).
    package var count: Int { counts.total }
    /// Live sessions on this registry's loop (what its drain waits for).
    package var localCount: Int { sessions.count }
    var atCapacity: Bool { counts.total >= globalCap }

    /// Checks the limits for a new session of `caller` on `tenant`.
    func admit(tenant: ServedTenant, caller: String) -> Refusal? {
        loop.preconditionInLoop()
        let refusal = counts.check(tenant: tenant.id, callerKey: key(tenant.id, caller), globalCap: globalCap,
                                   tenantCap: tenant.maxConcurrentSessions, callerCap: tenant.maxSessionsPerCaller)
        if case .callerLimit = refusal { return .callerLimit(caller) }
        return refusal
    }

    func add(_ session: ServerSession) {
        loop.preconditionInLoop()
        sessions[session.id] = session
        counts.add(session.id, tenant: session.tenantID, callerKey: key(session.tenantID, session.caller), loop: loopIndex)
    }

    func remove(_ session: ServerSession) {
        loop.preconditionInLoop()
        guard sessions.removeValue(forKey: session.id) != nil else { return }
        counts.release(session.id, tenant: session.tenantID, callerKey: key(session.tenantID, session.caller))
    }

    func session(_ id: String) -> ServerSession? {
        loop.preconditionInLoop()
        return sessions[id]
    }

    private func key(_ tenant: String, _ caller: String) -> String { tenant + "\u{1F}" + caller }
}
