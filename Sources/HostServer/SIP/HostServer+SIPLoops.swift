import HostNet
import HostSupport

extension HostServer {
    /// Every event of the SIP stack arrives here, on the first loop (Sofia runs on its own thread
    /// and hands its events to one loop). With `server.loops` > 1 a new call goes to the least
    /// loaded loop (live sessions in `SessionCounts`; ties in turn), and every later event of that
    /// call follows it there: the call's RTP socket, timers, VoiceCall and session live on that loop
    /// for the call's whole life. The stack's commands (answer, BYE, REFER) are thread-safe.
    func sipStackEvent(_ event: SIPStack.Event, trunk: SIPTrunk) {
        loop.preconditionInLoop()
        guard let peers, peers.servers.count > 1 else { return sipEvent(event, trunk: trunk) }
        let target: Int
        switch event {
        case .invite(let invite):
            target = Self.leastLoadedLoop(registry.counts.sessionsPerLoop(peers.servers.count), next: trunk.nextLoop)
            trunk.nextLoop = (target + 1) % peers.servers.count
            if target != registry.loopIndex { trunk.routes[invite.call] = target }
        case .acked(let id), .referred(let id, _):
            target = trunk.routes[id] ?? registry.loopIndex
        case .ended(let id):
            target = trunk.routes.removeValue(forKey: id) ?? registry.loopIndex
        }
        guard target != registry.loopIndex else { return sipEvent(event, trunk: trunk) }
        let peer = peers.servers[target]
        let configuration = trunk.configuration
        let stack = trunk.stack
        peer.loop.execute {
            // The other loop's own table of its calls, made on its first call.
            let local = peer.telephony.sip ?? {
                let made = SIPTrunk(configuration: configuration)
                if let stack { made.started(stack) }
                peer.telephony.sip = made
                return made
            }()
            peer.sipEvent(event, trunk: local)
        }
    }

    /// The loop with the fewest live sessions; among equals the first at or after `next` (so a
    /// burst of calls arriving before any session opened still alternates).
    static func leastLoadedLoop(_ sessions: [Int], next: Int) -> Int {
        guard let fewest = sessions.min() else { return 0 }
        let count = sessions.count
        for step in 0..<count where sessions[(next + step) % count] == fewest { return (next + step) % count }
        return 0
    }
}
