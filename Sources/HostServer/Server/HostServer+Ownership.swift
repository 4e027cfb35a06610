import Foundation
import HostNet
import HostSessions
import HostSupport

/// This server's owner leases and their renewal timer (loop-confined).
final class ChatOwnership {
    let leases: ChatOwnerLeases
    let timer: LoopTimer

    init(leases: ChatOwnerLeases, timer: LoopTimer) {
        self.leases = leases
        self.timer = timer
    }
}

/// Two hosts must not serve one conversation at once (docs/scaling.md, "Owner leases"): the host
/// serving a chat conversation holds its lease in Redis (docs/protocol.md §7) and renews it; a
/// host asked to continue a conversation it does not hold takes it over only when the lease is
/// free or its owner is gone, and otherwise answers 409 `session_owned`.
///
/// "Gone" is decided fast, without waiting for a TTL: a connection to the owner's address that is
/// refused means nothing listens there (the host was killed or exited); an owner that accepts the
/// connection is alive, and one that does not answer within a second is treated as alive too (a
/// hung host's lease lapses after its TTL, then anyone may take the conversation). The probe is
/// one non-blocking connect on the loop: nothing waits for it.
extension HostServer {
    /// [thread-safe] Starts holding leases for this server's chat conversations and renewing them
    /// every third of their TTL.
    package func holdOwnerLeases(_ leases: ChatOwnerLeases) {
        loop.execute { [self] in
            guard ownership == nil else { return }
            let timer = LoopTimer(loop: loop)
            ownership = ChatOwnership(leases: leases, timer: timer)
            let period = max(1, leases.ttlMilliseconds / 3)
            timer.start(after: period, repeat: period) { [self] in renewLeases() }
            // Conversations opened before this point get theirs now.
            for session in registry.sessions.values where session.holdsLease { claimLease(of: session) }
        }
    }

    /// A new conversation's lease (loop thread). Its id is new, so nobody else holds it: the claim
    /// is not waited for.
    func claimLease(of session: ServerSession) {
        ownership?.leases.claim(tenant: session.tenantID, sessionID: session.id, replacing: nil) { _ in }
    }

    /// Loop thread, on the timer. A lease another host holds now means that host took the
    /// conversation over believing this one dead (a hang longer than the TTL, or a network split):
    /// this host's copy ends (HostServer+LeaseLost.swift), so the conversation does not fork.
    private func renewLeases() {
        guard let ownership else { return }
        let held = registry.sessions.values.filter { $0.holdsLease && !$0.ended && !$0.handingOver }.map { (tenant: $0.tenantID, sessionID: $0.id) }
        let ttl = ownership.leases.ttlMilliseconds
        ownership.leases.renew(held) { [self] lost in
            services.logger.log(.error, "server", "lost the owner lease of session(s) \(lost.joined(separator: ", ")) to another host: it took them over (this host did not renew within \(ttl) ms); chat conversations end here and go on there, a voice call whose caller is still on the line goes on here (its record, written at its end, replaces the other host's `host_lost` one)")
            loop.execute { [self] in
                for id in lost {
                    let session = registry.session(id)
                    // A voice call's loss counts apart: it goes on here (its caller is on the line).
                    let kind = session?.onCallTurnEnd != nil ? "call_lease_lost" : "chat_lease_lost"
                    services.metrics.increment("agent_host_errors_total", labels: ["kind": kind])
                    guard let session else { continue }
                    endMovedConversation(session, found: "its lease renewal found another host's lease")
                }
            }
        }
    }

    /// Takes the lease of `sessionID` for this server (loop thread; `completion` on it): nil when it
    /// is this server's now, else the answer for the client.
    func takeLease(tenant: String, sessionID: String, completion: @escaping @Sendable (Rejection?) -> Void) {
        guard let ownership else { return completion(nil) }
        let leases = ownership.leases
        @Sendable func claim(replacing: String?, then decide: @escaping @Sendable (ChatOwner?, String) -> Void) {
            leases.claim(tenant: tenant, sessionID: sessionID, replacing: replacing) { [self] result in
                loop.execute {
                    switch result {
                    case .claimed: completion(nil)
                    case .ended: completion(Self.ended(sessionID))
                    case .unavailable(let why):
                        completion(Rejection(ServerResponses.error(503, "cannot tell which host serves session '\(sessionID)': Redis did not answer (\(why)); try again in a few seconds")))
                    case .held(let owner, let text): decide(owner, text)
                    }
                }
            }
        }
        claim(replacing: nil) { [self] owner, text in
            let takeOver: @Sendable (String) -> Void = { why in
                self.services.logger.log(.info, "server", "taking chat session \(sessionID) over from \(owner?.hostID ?? "an unreadable lease") (\(why))")
                claim(replacing: text) { [self] newOwner, _ in completion(owned(sessionID, by: newOwner)) }
            }
            guard let owner else { return takeOver("its lease is unreadable") }
            // Another loop of this very process holds it (ChatOwner.loop): alive by definition.
            if owner.instance == leases.me.instance { return completion(owned(sessionID, by: owner)) }
            // An earlier process at this very address: it is not running, this one listens there.
            if owner.hostID == leases.me.hostID, owner.address == leases.me.address { return takeOver("an earlier process on this address") }
            guard let (host, port) = Self.hostAndPort(owner.address) else { return completion(owned(sessionID, by: owner)) }
            TCPProbe.check(loop: loop, host: host, port: port) { [self] outcome in
                switch outcome {
                case .refused(let why):
                    takeOver("nothing listens at \(owner.address): \(why)")
                case .listening, .noAnswer:
                    services.metrics.increment("agent_host_errors_total", labels: ["kind": "session_owned"])
                    completion(owned(sessionID, by: owner))
                }
            }
        }
    }

    /// 404 for a conversation that ended (its lease key holds the ended marker, docs/protocol.md §7).
    static func ended(_ sessionID: String) -> Rejection {
        Rejection(ServerResponses.error(404, "session '\(sessionID)' has ended: start a new one without session_id"))
    }

    /// 409 `session_owned` (docs/protocol.md §2): which host serves the conversation and what to do.
    func owned(_ sessionID: String, by owner: ChatOwner?) -> Rejection {
        let message = "session '\(sessionID)' is being served by host \(owner?.hostID ?? "?") at \(owner?.address ?? "?"): send its requests there (through the load balancer keep its AGENT_HOST cookie), or start a new session; it moves to another host by itself when that host ends, drains or dies"
        var fields = ["error": JSONText.quote(message), "code": JSONText.quote("session_owned")]
        if let owner {
            fields["owner"] = JSONText.object([("address", JSONText.quote(owner.address)), ("host_id", JSONText.quote(owner.hostID))])
        }
        return Rejection(ServerResponses.json(409, JSONText.object(fields.sorted { $0.key < $1.key })))
    }

    /// `http://10.0.0.5:8080`, `http://[::1]:8080` → (host, port).
    static func hostAndPort(_ address: String) -> (String, Int)? {
        guard let url = URLComponents(string: address), let host = url.host, let port = url.port else { return nil }
        return (host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port)
    }
}
