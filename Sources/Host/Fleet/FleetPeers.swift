import HostSessions

/// Whether another host of the fleet can take a conversation over (docs/scaling.md): a draining
/// host hands chat conversations over at its deadline only when one can — otherwise the
/// conversation ends there with `shutdown`, as it does on a lone host (the client then gets the
/// `end` it always got, instead of a socket closed for a reconnect that would find nobody).
///
/// Reads the heartbeats (`SCAN` over `agent-host:fleet:*`, then `MGET`) through the session
/// store's connection, asynchronously: nothing waits on the loop.
enum FleetPeers {
    /// `answer(true)` when a heartbeat other than `me`'s says a host serving `tenant` is not draining.
    /// Redis not answering: false (the conversation ends here, recorded).
    /// Every call reads Redis: at a drain deadline a host asks once per open conversation, so the
    /// runner asks through a `FleetPeersCache` (one read per heartbeat interval) instead.
    static func anotherServes(tenant: String, me: String, connection: RedisConnection,
                              answer: @escaping @Sendable (Bool) -> Void) {
        others(me: me, connection: connection) { members in
            answer(serves(tenant, members ?? [], me: me))
        }
    }

    /// True when one of `members` (not `me`) serves `tenant` and is not draining.
    static func serves(_ tenant: String, _ members: [FleetMember], me: String) -> Bool {
        members.contains { !$0.draining && $0.tenants.contains(tenant) && $0.hostID != me }
    }

    /// The heartbeats of every host but `me`; nil when Redis did not answer.
    static func others(me: String, connection: RedisConnection, done: @escaping @Sendable ([FleetMember]?) -> Void) {
        scan(cursor: "0", found: [], connection: connection) { keys in
            guard let keys else { return done(nil) }
            let others = keys.filter { $0 != FleetMember.key(me) }
            guard !others.isEmpty else { return done([]) }
            connection.send(["MGET"] + others) { result in
                guard case .success(.array(let values)) = result else { return done(nil) }
                done(values.compactMap { value -> FleetMember? in
                    guard case .string(let json) = value else { return nil }
                    return try? FleetMember.decode(json)
                })
            }
        }
    }

    /// nil when Redis failed before the first page; what was found so far when a later page failed.
    private static func scan(cursor: String, found: [String], connection: RedisConnection,
                             done: @escaping @Sendable ([String]?) -> Void) {
        connection.send(["SCAN", cursor, "MATCH", FleetMember.keyPrefix + "*", "COUNT", "1000"]) { result in
            guard case .success(.array(let parts)) = result, parts.count == 2,
                  case .string(let next) = parts[0], case .array(let keys) = parts[1] else { return done(cursor == "0" ? nil : found) }
            let all = found + keys.compactMap { if case .string(let key) = $0 { key } else { nil } }
            // A fleet is a handful of hosts: a few hundred keys at most is plenty to decide.
            if next == "0" || all.count > 500 { return done(all) }
            scan(cursor: next, found: all, connection: connection, done: done)
        }
    }
}
