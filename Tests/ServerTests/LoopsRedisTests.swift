import Foundation
import Host
import HostNet
import TestSupport
import XCTest

/// `server.loops: 2` with Redis (docs/architecture.md, threading model): the second loop has a
/// Redis connection of its own for its sessions' records, checkpoints and owner leases, and it
/// follows Redis going away and coming back like the first loop's. Real host process, real Redis.
final class LoopsRedisTests: HostProcessTestCase {
    /// The host's Redis clients: every connection but redis-cli's own.
    private func hostClients() throws -> Int {
        try redis.cli("CLIENT", "LIST").split(whereSeparator: \.isNewline).filter { !$0.contains("cmd=client|list") }.count
    }

    func testEachLoopHasItsOwnRedisConnectionAndItsSessionsUseIt() throws {
        let host = try startHost("loops-redis", server: "  loops: 2")
        XCTAssertTrue(try eventually { try hostClients() == 2 }, "the store's connection and loop 1's: \((try? redis.cli("CLIENT", "LIST")) ?? "")")
        let opened = try openChatsOnBothLoops(host, prefix: "+1555060")
        XCTAssertTrue(try loopSessions(host).allSatisfy { $0 >= 2 })
        // Every conversation, on either loop, has its checkpoint and its owner lease in Redis.
        for (_, session) in opened {
            XCTAssertTrue(try eventually { try redis.cli("EXISTS", "support:chat:demo:\(session)") == "1" }, "checkpoint of \(session)")
            XCTAssertTrue(try eventually { try redis.cli("EXISTS", "support:chat-owner:demo:\(session)") == "1" }, "lease of \(session)")
        }
        for (caller, session) in opened {
            let ended = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","session_id":"\#(session)","end":true}"#)
            XCTAssertTrue(ended.types.contains("end"), ended.body)
        }
        XCTAssertTrue(try eventually { try loopSessions(host) == [0, 0] })
        for (caller, session) in opened {
            XCTAssertTrue(try eventually { try storedSessionIDs(caller: caller) == [session] }, "record of \(caller)")
            XCTAssertTrue(try eventually { try redis.cli("EXISTS", "support:chat:demo:\(session)") == "0" }, "checkpoint removed at the end")
        }
    }

    func testBothLoopsReconnectAfterRedisComesBack() throws {
        let host = try startHost("loops-redis-outage", server: "  loops: 2")
        XCTAssertTrue(try eventually { try hostClients() == 2 })
        redis.stop(persist: true)
        // While Redis is away sessions still open on both loops (their records wait in the journal).
        let during = try openChatsOnBothLoops(host, each: 1, prefix: "+1555070")
        try redis.start()
        XCTAssertTrue(try eventually(20) { try hostClients() == 2 }, "both loops reconnected: \((try? redis.cli("CLIENT", "LIST")) ?? "")")
        let after = try openChatsOnBothLoops(host, prefix: "+1555080")
        for (_, session) in after {
            XCTAssertTrue(try eventually { try redis.cli("EXISTS", "support:chat:demo:\(session)") == "1" }, "checkpoint of \(session) after the outage")
        }
        for (caller, session) in during + after {
            let ended = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","session_id":"\#(session)","end":true}"#)
            XCTAssertTrue(ended.types.contains("end"), ended.body)
        }
        for (caller, session) in during + after {
            XCTAssertTrue(try eventually(20) { try storedSessionIDs(caller: caller) == [session] }, "record of \(caller)")
        }
    }
}
