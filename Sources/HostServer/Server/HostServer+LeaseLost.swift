import HostSessions

/// A chat conversation this host served was taken over by another host (docs/scaling.md, "Owner
/// leases"): this host hung, or was cut off from Redis, for longer than the lease's TTL, and a
/// client's request reached another host, which found the lease lapsed and continued the
/// conversation from its checkpoint. Two hosts now hold a copy; the other one is the owner.
///
/// This host's copy ends as soon as it learns so — from its lease renewal, or from its next
/// checkpoint write being refused (the write is guarded: it never overwrites the new owner's):
/// - the client gets `end` with reason `moved_to_another_host` (a chat socket then closes); its next
///   HTTP request here finds no session, looks the conversation up and gets `409 session_owned`
///   naming the new owner (docs/protocol.md §7);
/// - nothing of it is written: no record (the new owner records the whole conversation when it
///   really ends, docs/protocol.md §4), no checkpoint deleted, no lease released — all are the
///   new owner's.
extension HostServer {
    /// Loop thread. `found`: how this host learned it, for the log.
    func endMovedConversation(_ session: ServerSession, found: String) {
        loop.preconditionInLoop()
        guard !session.ended, !session.movedAway, session.onTurnEnd != nil else { return }
        session.movedAway = true
        services.metrics.increment("agent_host_sessions_moved_away_total", labels: ["tenant": session.tenantID])
        services.logger.log(.warning, "server", "chat session \(session.id) ends here: another host continues it (\(found)); this host's copy writes nothing more")
        session.end(reason: ServerSession.movedToAnotherHost)
    }
}

extension ServerSession {
    /// The end reason of a conversation another host took over (docs/protocol.md §1): sent to the
    /// client; the session is not recorded here.
    static let movedToAnotherHost = "moved_to_another_host"
}
