import Dispatch
import HostSessions
import Synchronization

/// `FleetPeers` read once per heartbeat interval for the whole host (issue #16): at a drain
/// deadline every open conversation asks `handOverPossible` at the same moment, and a SCAN + MGET
/// each would be a burst of Redis round trips for an answer that changes only when a heartbeat
/// does (every `FleetHeartbeat.intervalMilliseconds`). So the first caller reads, callers arriving
/// while that read is in flight wait for it, and its answer serves everyone for `maxAgeMilliseconds`.
/// A failed read (Redis down) is not kept: the waiting callers get "no" (as `FleetPeers` says) and
/// the next caller reads again.
package final class FleetPeersCache: Sendable {
    private struct State {
        var members: [FleetMember]?
        var readAt: UInt64 = 0
        var reading = false
        var waiting: [@Sendable ([FleetMember]?) -> Void] = []
    }

    let me: String
    let connection: RedisConnection
    let maxAgeNanoseconds: UInt64
    private let state = Mutex(State())

    package init(me: String, connection: RedisConnection, maxAgeMilliseconds: UInt64) {
        self.me = me
        self.connection = connection
        maxAgeNanoseconds = maxAgeMilliseconds * 1_000_000
    }

    /// [thread-safe] `FleetPeers.anotherServes` from the cached heartbeats; `answer` runs on the
    /// connection's loop after a read, on the caller's thread when the cache was fresh.
    package func anotherServes(tenant: String, answer: @escaping @Sendable (Bool) -> Void) {
        members { [me] members in answer(FleetPeers.serves(tenant, members ?? [], me: me)) }
    }

    /// [thread-safe] The other hosts' heartbeats, at most `maxAgeMilliseconds` old; nil when Redis did not answer.
    package func members(_ done: @escaping @Sendable ([FleetMember]?) -> Void) {
        let now = DispatchTime.now().uptimeNanoseconds
        enum Next { case fresh([FleetMember]), wait, read }
        let next: Next = state.withLock { state in
            if let members = state.members, now - state.readAt < maxAgeNanoseconds { return .fresh(members) }
            state.waiting.append(done)
            if state.reading { return .wait }
            state.reading = true
            return .read
        }
        switch next {
        case .fresh(let members): done(members)
        case .wait: break
        case .read:
            FleetPeers.others(me: me, connection: connection) { [self] members in
                let waiting = state.withLock { state in
                    state.reading = false
                    if let members {
                        state.members = members
                        state.readAt = DispatchTime.now().uptimeNanoseconds
                    }
                    defer { state.waiting = [] }
                    return state.waiting
                }
                for each in waiting { each(members) }
            }
        }
    }
}
