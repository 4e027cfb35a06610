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
    private(set) var sessions: [String: ServerSession] = [:]
    private var perTenant: [String: Int] = [:]
    private var perCaller: [String: Int] = [:]
    var draining = false
    private let loop: EventLoop

    init(globalCap: Int, loop: EventLoop) {
        self.globalCap = globalCap
        self.loop = loop
    }

    package var count: Int { sessions.count }
    var atCapacity: Bool { sessions.count >= globalCap }

    /// Checks the limits for a new session of `caller` on `tenant`.
    func admit(tenant: ServedTenant, caller: String) -> Refusal? {
        loop.preconditionInLoop()
        if draining { return .draining }
        if sessions.count >= globalCap { return .atCapacity }
        if perTenant[tenant.id, default: 0] >= tenant.maxConcurrentSessions { return .tenantAtCapacity(tenant.id) }
        if perCaller[key(tenant.id, caller), default: 0] >= tenant.maxSessionsPerCaller { return .callerLimit(caller) }
        return nil
    }

    func add(_ session: ServerSession) {
        loop.preconditionInLoop()
        sessions[session.id] = session
        perTenant[session.tenantID, default: 0] += 1
        perCaller[key(session.tenantID, session.caller), default: 0] += 1
    }

    func remove(_ session: ServerSession) {
        loop.preconditionInLoop()
        guard sessions.removeValue(forKey: session.id) != nil else { return }
        perTenant[session.tenantID, default: 1] -= 1
        perCaller[key(session.tenantID, session.caller), default: 1] -= 1
        if perCaller[key(session.tenantID, session.caller)] == 0 { perCaller.removeValue(forKey: key(session.tenantID, session.caller)) }
    }

    func session(_ id: String) -> ServerSession? {
        loop.preconditionInLoop()
        return sessions[id]
    }

    private func key(_ tenant: String, _ caller: String) -> String { tenant + "\u{1F}" + caller }
}
