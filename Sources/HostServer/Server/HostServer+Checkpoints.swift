import Foundation
import HostNet
import HostOrchestration
import HostSessions
import HostSupport
import HostTenancy

/// Chat conversations that outlive their host (docs/scaling.md, "What each kind of session
/// survives"): after every turn the conversation's state goes to `checkpoints`; a `session_id`
/// this host does not know is looked up there and the conversation continues here.
extension HostServer {
    /// Checkpoints `session` after each of its turns (loop thread). Voice calls are checkpointed
    /// elsewhere (HostServer+LostCalls.swift): their audio pipeline and line cannot move to
    /// another host, only a callback can pick up from them.
    func checkpointTurns(of session: ServerSession) {
        guard let checkpoints else { return }
        session.onTurnEnd = { [self] session in
            guard let conversation = session.conversation, conversation.ended == nil else { return }
            // Guarded (docs/protocol.md §6): a host that lost the conversation's lease while it hung
            // cannot overwrite the checkpoint of the host that took it over; it ends its copy instead.
            checkpoints.save(ChatCheckpoint(conversation), owner: ownership?.leases.me) { [self] outcome in
                let why: String
                switch outcome {
                case .ownedElsewhere: why = "another host holds its lease"
                case .newer: why = "a later turn is stored"
                case .ended: why = "another host continued it and ended it"
                case .stored, .failed: return
                }
                loop.execute { [self] in endMovedConversation(session, found: "its checkpoint was refused: \(why)") }
            }
        }
    }

    /// The session `sessionID` from its checkpoint, admitted like a new session (loop thread;
    /// `ready` runs on it). 404 when there is no checkpoint (never existed, ended, expired, or
    /// Redis unreachable), 403 when it is another caller's, 409 `session_owned` while another live
    /// host serves it (its owner lease).
    func resumeSession(tenant: ServedTenant, sessionID: String, caller: String?,
                       ready: @escaping @Sendable (Result<ServerSession, Rejection>) -> Void) {
        let notFound = Rejection(ServerResponses.error(404, "no live session '\(sessionID)' for tenant '\(tenant.id)': start a new one without session_id"))
        guard let checkpoints else { return ready(.failure(notFound)) }
        checkpoints.load(tenant: tenant.id, sessionID: sessionID) { [self] checkpoint in
            loop.execute { [self] in
                guard let checkpoint, checkpoint.tenant == tenant.id, checkpoint.sessionID == sessionID else { return ready(.failure(notFound)) }
                guard caller == nil || caller == checkpoint.caller else {
                    services.metrics.increment("agent_host_errors_total", labels: ["kind": "session_caller_mismatch"])
                    return ready(.failure(Rejection(ServerResponses.error(403, "session '\(sessionID)' belongs to another caller: start your own without session_id"))))
                }
                // Two requests of one session raced here: the first one resumed it.
                if let live = registry.session(sessionID) {
                    return ready(live.ended ? .failure(notFound) : .success(live))
                }
                // A draining or full host does not take conversations on (503: the balancer retries elsewhere).
                if let refusal = registry.admit(tenant: tenant, caller: checkpoint.caller) {
                    services.metrics.increment("agent_host_errors_total", labels: ["kind": "session_refused"])
                    return ready(.failure(Rejection(ServerResponses.error(refusal.status, refusal.message))))
                }
                // Another loop of this host serves it or is resuming it: the lease cannot tell two
                // loops apart (they share one identity), this host-wide claim does (SessionCounts).
                let counts = registry.counts
                guard counts.beginResume(sessionID) else {
                    services.metrics.increment("agent_host_errors_total", labels: ["kind": "session_busy"])
                    return ready(.failure(Self.resumingElsewhereHere(sessionID)))
                }
                let resumed: @Sendable (Result<ServerSession, Rejection>) -> Void = { result in
                    counts.endResume(sessionID)
                    ready(result)
                }
                // Only when no live host serves it (HostServer+Ownership.swift).
                takeLease(tenant: tenant.id, sessionID: sessionID) { [self] refusal in
                    if let refusal { return resumed(.failure(refusal)) }
                    resume(tenant: tenant, from: checkpoint, ready: resumed)
                }
            }
        }
    }

    /// 409 for a request racing another request of the same session on another loop of this host.
    static func resumingElsewhereHere(_ sessionID: String) -> Rejection {
        Rejection(ServerResponses.json(409, JSONText.object([
            ("code", JSONText.quote("session_busy")),
            ("error", JSONText.quote("session '\(sessionID)' is being continued by another request on this host: send yours again when that one has its answer")),
        ])))
    }

    /// Serves the conversation of `checkpoint` here (loop thread), its lease being this host's.
    private func resume(tenant: ServedTenant, from checkpoint: ChatCheckpoint,
                        ready: @escaping @Sendable (Result<ServerSession, Rejection>) -> Void) {
        let sessionID = checkpoint.sessionID
        if let live = registry.session(sessionID) {
            return ready(live.ended ? .failure(Rejection(ServerResponses.error(404, "no live session '\(sessionID)' for tenant '\(tenant.id)': start a new one without session_id"))) : .success(live))
        }
        if let refusal = registry.admit(tenant: tenant, caller: checkpoint.caller) {
            ownership?.leases.release(tenant: tenant.id, sessionID: sessionID)
            services.metrics.increment("agent_host_errors_total", labels: ["kind": "session_refused"])
            return ready(.failure(Rejection(ServerResponses.error(refusal.status, refusal.message))))
        }
        let session = ServerSession(id: sessionID, tenantID: tenant.id, caller: checkpoint.caller, loop: loop,
                                    idleMilliseconds: settings.sessionIdleMilliseconds)
        registry.add(session)
        session.onEnd = { [self] session, reason, release in sessionEnded(session, reason: reason, release: release) }
        checkpointTurns(of: session)
        countSessions()
        services.metrics.increment("agent_host_sessions_resumed_total", labels: ["tenant": tenant.id])
        session.resume(tenant: tenant.runtime, services: services, from: checkpoint)
        services.logger.log(.info, "server", "resumed chat session \(sessionID) for \(tenant.id) from its checkpoint (turn \(checkpoint.turnNumber), agent \(checkpoint.currentAgent))")
        ready(.success(session))
    }
}

extension HostServer {
    /// `WS /ws/chat/{caller}?session_id=…`: the socket takes up the conversation from its
    /// checkpoint; its events flow as on a new chat socket (without a second `session` event).
    /// No checkpoint, or another caller's: an `error` event (`unknown_session`) and close 1008;
    /// served by another live host: an `error` event `session_owned` and close 1008.
    func resumeSocketSession(_ socket: WebSocketConnection, tenant: ServedTenant, caller: String, sessionID: String,
                             deliver: @escaping @Sendable (ConversationEvent) -> Void,
                             opened: @escaping @Sendable (ServerSession) -> Void) {
        resumeSession(tenant: tenant, sessionID: sessionID, caller: caller) { result in
            switch result {
            case .failure(let rejection) where rejection.response.status == 409 && String(decoding: rejection.response.body, as: UTF8.self).contains("session_busy"):
                // Another request of this host is taking it up: it may be retried in a moment.
                socket.send(text: ConversationEvent.error(code: "busy", message: String(decoding: rejection.response.body, as: UTF8.self)).json)
                socket.close(code: 1013, reason: "try again later")
            case .failure(let rejection) where rejection.response.status == 409:
                // Another live host serves it (HostServer+Ownership.swift): the body names it.
                socket.send(text: ConversationEvent.error(code: "session_owned", message: String(decoding: rejection.response.body, as: UTF8.self)).json)
                socket.close(code: 1008, reason: "session served by another host")
            case .failure(let rejection):
                socket.send(text: ConversationEvent.error(code: "unknown_session", message: String(decoding: rejection.response.body, as: UTF8.self)).json)
                socket.close(code: 1008, reason: "no such session")
            case .success(let session):
                session.forward = { event in
                    if Self.closedForHandOver(event, socket: socket) { return }
                    deliver(event)
                    if event.type == "end" { socket.close(code: 1000, reason: "session ended") }
                }
                opened(session)
            }
        }
    }
}
