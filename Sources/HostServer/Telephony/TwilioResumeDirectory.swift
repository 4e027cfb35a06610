import HostNet
import HostSupport
import Synchronization

/// Which loop waits for each Twilio resume token (`server.loops` > 1). A call that plays digits
/// gets a new Media Stream (docs/telephony.md, "Keypad"): a new connection, which the kernel may
/// give to any loop. The call, its session and the waiting entry stay on the loop that owns them
/// (`TwilioResumes`); only the token's owner is shared here, so the loop that accepted the new
/// stream knows where to relay it. [thread-safe]: one mutex around a dictionary step.
final class TwilioResumeDirectory: Sendable {
    private let owners = Mutex<[String: Int]>([:])

    func register(_ token: String, loop: Int) { owners.withLock { $0[token] = loop } }
    func remove(_ token: String) { _ = owners.withLock { $0.removeValue(forKey: token) } }
    func owner(of token: String) -> Int? { owners.withLock { $0[token] } }
}

extension TwilioMediaConnection {
    /// The owning loop's handler for a resumed stream this loop accepted, when another loop waits
    /// for `token`; nil when the resume is this loop's to take (or no loop knows the token, which
    /// this loop then refuses). The session stays on its loop for its whole life: the socket stays
    /// here (libuv handles cannot move between loops), its messages are handed over one by one
    /// (`EventLoop.execute`, in order) and the call's output reaches the socket through
    /// `WebSocketConnection`'s thread-safe `send`, which hops back here.
    static func relayTarget(token: String, server: HostServer, request: HTTPRequest) -> (loop: EventLoop, handler: TwilioMediaConnection)? {
        guard let peers = server.peers, let owner = server.telephony.resumes.directory?.owner(of: token),
              owner != server.registry.loopIndex, owner < peers.servers.count else { return nil }
        let peer = peers.servers[owner]
        Logger.shared.log(.info, "twilio", "resumed stream accepted on loop \(server.registry.loopIndex) relayed to loop \(owner), which serves its call")
        return (peer.loop, TwilioMediaConnection(server: peer, request: request))
    }
}
