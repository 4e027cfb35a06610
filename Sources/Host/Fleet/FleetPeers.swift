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
    static func anotherServes(tenant: String, me: String, connection: RedisConnection,
                              answer: @escaping @Sendable (Bool) -> Void) {
        scan(cursor: "0", found: [], connection: connection) { keys in
            let others = keys.filter { $0 != FleetMember.key(me) }
            guard !others.isEmpty else { return answer(false) }
            connection.send(["MGET"] + others) { result in
                guard case .success(.array(let values)) = result else { return answer(false) }
                let members = values.compactMap { value -> FleetMember? in
                    guard case .string(let json) = value else { return nil }
                    return try? FleetMember.decode(json)
                }
                answer(members.contains { !$0.draining && $0.tenants.contains(tenant) && $0.hostID != me })
            }
        }
    }

    private static func scan(cursor: String, found: [String], connection: RedisConnection,
                             done: @escaping @Sendable ([String]) -> Void) {
        connection.send(["SCAN", cursor, "MATCH", FleetMember.keyPrefix + "*", "COUNT", "1000"]) { result in
            guard case .success(.array(let parts)) = result, parts.count == 2,
                  case .string(let next) = parts[0], case .array(let keys) = parts[1] else { return done(found) }
            let all = found + keys.compactMap { if case .string(let key) = $0 { key } else { nil } }
            // A fleet is a handful of hosts: a few hundred keys at most is plenty to decide.
            if next == "0" || all.count > 500 { return done(all) }
            scan(cursor: next, found: all, connection: connection, done: done)
        }
    }
}
