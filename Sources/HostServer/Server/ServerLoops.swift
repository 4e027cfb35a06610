import Dispatch
import HostNet
import HostSupport
import HostTenancy
import HostVoice
import Synchronization

/// The loops of one host when `server.loops` > 1 (docs/architecture.md, threading model): one
/// `HostServer` per loop, each accepting on the same port (SO_REUSEPORT), over the same tenants,
/// plugins, session store, metrics and admission counts. A session lives on the loop that accepted
/// it for its whole life; what must answer the same from every loop (limits, draining, /ready,
/// /health, the heartbeat) reads the shared `SessionCounts`. Index 0 is the first loop: the one
/// the admin listener, the console, telephony, isolated plugin runners and signals live on.
package final class ServerLoops: Sendable {
    package let servers: [HostServer]

    /// `servers[0]` is the host's first server; the others share its counts from here on. Call
    /// before the others start; each server is joined on its own loop's thread (the first one may
    /// already be serving).
    package init(_ servers: [HostServer]) {
        self.servers = servers
        let counts = servers[0].registry.counts
        // Twilio's next request for a call (a whisper fetch, a resumed stream) is a new
        // connection any loop may accept: the state it looks for is shared or names its loop.
        let whispers = servers[0].telephony.whispers
        let resumes = TwilioResumeDirectory()
        servers[0].services.metrics.describe("agent_host_loop_sessions", type: "gauge",
                                             help: "Live sessions on each of the host's loops (server.loops).")
        for (index, server) in servers.enumerated() {
            _ = server.loop.submitAndWait {
                server.registry.counts = counts
                server.registry.loopIndex = index
                server.telephony.whispers = whispers
                server.telephony.resumes.directory = resumes
                server.telephony.resumes.loopIndex = index
                server.peers = self
            }
        }
    }

    /// A turn for a session another loop serves goes to that loop, and the answer comes back to
    /// the loop holding the client's connection. False when `sessionID` is not another loop's.
    func forward(sessionID: String, _ request: HTTPRequest, _ respond: @escaping HTTPResponder, from server: HostServer) -> Bool {
        guard let owner = server.registry.counts.owner(of: sessionID), owner != server.registry.loopIndex,
              owner < servers.count else { return false }
        let peer = servers[owner]
        let home = server.loop
        peer.loop.execute { peer.chat(request) { response in home.execute { respond(response) } } }
        return true
    }

    /// The console keeps its state (tickets, operators, the monitor) on the first loop: its HTTP
    /// requests go there from any loop. False when the request is this loop's to answer.
    func routesOnFirstLoop(_ request: HTTPRequest, _ respond: @escaping HTTPResponder, from server: HostServer) -> Bool {
        guard server.registry.loopIndex != 0, ConsoleService.handles(request.path) else { return false }
        let first = servers[0]
        let home = server.loop
        first.loop.execute { first.route(request) { response in home.execute { respond(response) } } }
        return true
    }

    /// SIGTERM: every loop drains (new sessions refused everywhere at once, through the shared
    /// counts); `finished` runs once the last loop has no session left and every record is durable.
    package func drain(finished: @escaping @Sendable () -> Void) {
        let left = LockedCount(servers.count)
        for server in servers {
            server.drain { if left.decrement() == 0 { finished() } }
        }
    }

    /// A reload's tenants (and rebuilt voice services) on every loop but the first, which the
    /// reloader swaps itself; returns once each loop has swapped. Call off the loops.
    package func replaceTenantsOnPeers(_ tenants: [ServedTenant], defaultTenant: String, voice: VoiceServices??) {
        for server in servers.dropFirst() {
            let applied = DispatchSemaphore(value: 0)
            let accepted = server.loop.execute {
                server.replaceTenants(tenants, defaultTenant: defaultTenant)
                if case .some(let services) = voice { server.voice = services }
                applied.signal()
            }
            if accepted { _ = applied.wait(timeout: .now() + 30) }
        }
    }
}

extension HostServer {
    /// Sets the session gauges: the host's total and this loop's share.
    func countSessions() {
        services.metrics.set("agent_host_active_sessions", Double(registry.count))
        guard peers != nil else { return }
        services.metrics.set("agent_host_loop_sessions", Double(registry.localCount), labels: ["loop": String(registry.loopIndex)])
    }

    /// " (loop N)" in log lines of a host with several loops.
    var loopSuffix: String { peers == nil ? "" : " (loop \(registry.loopIndex))" }
}

/// A countdown shared by threads.
final class LockedCount: Sendable {
    private let value: Mutex<Int>
    init(_ value: Int) { self.value = Mutex(value) }
    func decrement() -> Int { value.withLock { $0 -= 1; return $0 } }
}
