import HostNet
import HostOrchestration
import HostSessions

/// A chat conversation still open when a draining host reaches `server.drain_deadline_seconds`
/// does not end: it moves to another host (docs/scaling.md, "What each kind of session survives").
///
/// The hand-over, in this order, on the loop:
/// 1. the conversation is checkpointed once more (its state after its last turn), and Redis's
///    answer is awaited: a conversation whose checkpoint was not stored ends with `shutdown`
///    rather than go on elsewhere from an older turn;
/// 2. its owner lease is given up, so the next host to be asked takes it at once;
/// 3. it ends here with the internal reason `handed_over`: its record is written through the
///    journal with outcome `handed_over` (durable before the host exits: a conversation nobody
///    continues is not lost), its `end` is not sent — a chat socket is closed 1012 instead,
///    telling the client to reconnect with `?session_id=`; an HTTP client's next request reaches
///    another host through the balancer;
/// 4. the host that continues it records it when it really ends: the record store keeps one
///    interaction per `session_id` and the later-ending one wins (docs/protocol.md §4), so the
///    `handed_over` interaction is replaced, never doubled, whichever reaches Redis first.
///
/// A conversation in the middle of a turn at the deadline finishes that turn first (its reply
/// goes out) and moves at the next half-second tick; one still in a turn 10 s after the deadline
/// ends with `shutdown` as before. Voice calls cannot move (their line is here): `shutdown`.
///
/// Only when another host can take it: `handOverPossible` (set by `serve` from the fleet's
/// heartbeats) must say a host serving the tenant is up and not draining. A lone host — or one
/// whose fleet is all draining — ends its conversations with `shutdown` and sends `end`, as before.
extension HostServer {
    /// Loop thread, from the drain timer.
    func endAtDrainDeadline(_ session: ServerSession, overdueMilliseconds: UInt64) {
        guard !session.ended, !session.handingOver else { return }
        guard session.onTurnEnd != nil, let checkpoints, let ownership, let conversation = session.conversation,
              let handOverPossible else {
            return session.end(reason: "shutdown")
        }
        if session.inTurn || session.turnInProgress {
            if overdueMilliseconds >= 10_000 { session.end(reason: "shutdown") }
            return
        }
        // From here its lease is not renewed and an HTTP request for it gets 503 (retried elsewhere).
        session.handingOver = true
        let leases = ownership.leases
        handOverPossible(session.tenantID) { [self] possible in
            loop.execute { [self] in
                guard !session.ended else { return }
                guard possible else {
                    services.logger.log(.info, "server", "chat session \(session.id) ends at the drain deadline: no other host serving \(session.tenantID) is up to continue it")
                    return session.end(reason: "shutdown")
                }
                handOver(session, conversation: conversation, checkpoints: checkpoints, leases: leases)
            }
        }
    }

    private func handOver(_ session: ServerSession, conversation: Conversation, checkpoints: any ChatCheckpointStore,
                          leases: ChatOwnerLeases) {
        let checkpoint = ChatCheckpoint(conversation)
        checkpoints.save(checkpoint) { [self] saved in
            loop.execute { [self] in
                guard !session.ended else { return }
                // Not stored (Redis down): moving would resume an older turn elsewhere; it ends here.
                guard saved else {
                    services.logger.log(.warning, "server", "chat session \(session.id) cannot move at the drain deadline (its checkpoint was not stored): it ends here")
                    return session.end(reason: "shutdown")
                }
                // A socket's words started a turn meanwhile: the next tick tries again after it.
                if session.inTurn || session.turnInProgress {
                    session.handingOver = false
                    return
                }
                leases.release(tenant: session.tenantID, sessionID: session.id)
                services.metrics.increment("agent_host_sessions_handed_over_total", labels: ["tenant": session.tenantID])
                services.logger.log(.info, "server", "handing chat session \(session.id) over at the drain deadline: it continues on another host from its checkpoint (turn \(checkpoint.turnNumber))")
                session.end(reason: ServerSession.handedOver)
            }
        }
    }

    /// A chat socket's session was handed over (loop thread): instead of `end`, close 1012
    /// ("service restart", RFC 6455 §7.4.1 / IANA) saying how to continue. True when it did.
    static func closedForHandOver(_ event: ConversationEvent, socket: WebSocketConnection) -> Bool {
        guard case .end(let reason) = event, reason == ServerSession.handedOver else { return false }
        socket.close(code: 1012, reason: "host shutting down: reconnect with ?session_id= to continue")
        return true
    }
}

extension ServerSession {
    /// The end reason of a conversation moved to another host; never sent to a client as an `end`.
    static let handedOver = "handed_over"
}
