import HostNet
import HostSessions

/// Whether a voice call whose owner lease lapsed was really lost (docs/scaling.md, "Owner
/// leases"). A lapsed lease says only that nobody renewed it for its TTL: its host died — or Redis
/// was away longer than the TTL while the host, alive, went on with the call (its renewal then
/// takes the lease back, too late for a callback that came first). A call taken for lost while its
/// caller is still on the line would fork: recorded `host_lost`, continued on the callback, and
/// going on where it is. So the taker asks the owner itself before taking the call:
/// - an earlier process at this host's own address, or a host whose heartbeat (docs/protocol.md
///   §5) says its process started after the call did: restarted, the call's process is gone;
/// - otherwise a connection to the owner's address: refused, nothing listens (dead); accepted,
///   the owner lives (or hangs, and may go on) — the call is left to it; unanswered within a
///   second, gone only when Redis answered and holds no heartbeat of the owner's host (a machine
///   that vanished, power or network, answers nothing and stops publishing), else left to it.
///
/// Why not end the live copy instead (its renewal fails the compare): the caller is on that line.
extension HostServer {
    /// Loop thread; `answer` on it. True when `call`'s owner is gone.
    func ownerIsGone(of call: ChatCheckpoint, answer: @escaping @Sendable (Bool) -> Void) {
        guard let owner = call.owner else { return answer(true) }
        ownerIsGone(owner, since: call.startedAt, answer: answer)
    }

    /// Loop thread; `answer` on it. True when the process `owner` that was serving calls at
    /// `startedAt` (ISO-8601 UTC) is gone.
    func ownerIsGone(_ owner: ChatOwner, since startedAt: String, answer: @escaping @Sendable (Bool) -> Void) {
        guard let me = ownership?.leases.me else { return answer(true) }
        if owner.hostID == me.hostID, owner.address == me.address { return answer(owner.instance != me.instance) }
        let probe: @Sendable (HostHeartbeat) -> Void = { [self] heartbeat in
            guard let (host, port) = Self.hostAndPort(owner.address) else { return answer(false) }
            TCPProbe.check(loop: loop, host: host, port: port) { outcome in
                switch outcome {
                case .refused: answer(true)
                case .listening: answer(false)
                // A machine that vanished (power, network) answers nothing, like a hung one: its
                // heartbeat tells them apart. Gone from a Redis that answered: nobody publishes it.
                case .noAnswer: answer(heartbeat == .absent)
                }
            }
        }
        guard let hostHeartbeat else { return probe(.unknown) }
        hostHeartbeat(owner.hostID) { [self] heartbeat in
            loop.execute {
                // ISO-8601 UTC with milliseconds, fixed width: compared as text.
                if case .startedAt(let started) = heartbeat, started > startedAt { return answer(true) }
                probe(heartbeat)
            }
        }
    }
}

/// What the fleet's heartbeats (docs/protocol.md §5) say of one host.
package enum HostHeartbeat: Sendable, Equatable {
    /// Redis did not answer: nothing is known.
    case unknown
    /// Redis answered and holds no heartbeat of the host: no process has published it for its TTL.
    case absent
    /// The process publishing it now started at this time (ISO-8601 UTC, fixed width).
    case startedAt(String)
}
