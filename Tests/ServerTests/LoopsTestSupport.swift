import Foundation
import TestSupport
import XCTest

/// What the tests of `server.loops: 2` hosts share: which loop serves how many sessions, and chat
/// sessions opened until both loops hold some (the kernel picks the loop of each connection).
extension HostProcessTestCase {
    /// Live sessions on each loop, from `agent_host_loop_sessions{loop="N"}`.
    func loopSessions(_ host: Host) throws -> [Int] {
        try (0..<2).map { Int(try metric(host, "agent_host_loop_sessions{loop=\"\($0)\"}") ?? 0) }
    }

    /// Opens chat sessions (a new connection each) until both loops serve at least `each`.
    func openChatsOnBothLoops(_ host: Host, each: Int = 2, prefix: String) throws -> [(caller: String, session: String)] {
        var opened: [(String, String)] = []
        for index in 0..<60 {
            let caller = "\(prefix)\(String(format: "%03d", index))"
            let reply = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","text":"what's my balance"}"#)
            XCTAssertEqual(reply.status, 200, reply.body)
            opened.append((caller, reply.sessionID))
            if opened.count >= 2 * each, try loopSessions(host).allSatisfy({ $0 >= each }) { break }
        }
        return opened
    }
}
