import Foundation
import Glibc
import HostTestSupport
import XCTest

/// A lapsed lease is not a dead host (docs/scaling.md, "Owner leases"): when Redis is away longer
/// than the lease's TTL, a live call's lease lapses with nobody dead. A callback that finds it so
/// asks the owner first (a connection to its address) and leaves the call to it.
extension VoiceCallbackTests {
    func testACallWhoseLeaseLapsedDuringARedisOutageIsNotTakenWhileItsHostLives() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460088"
        let (call, id) = try await callReachingRefunds(first, caller: caller)

        // Redis is away longer than the lease's TTL (15 s), keeping the call's checkpoint.
        redis.stop(persist: true)
        usleep(16_500_000)
        // The first host is held still while Redis comes back, so that its renewal cannot take the
        // lease back before the callback looks (the race the callback must not depend on winning).
        kill(first.pid, SIGSTOP)
        var thawed = false
        defer { if !thawed { kill(first.pid, SIGCONT) } }
        try redis.start()
        XCTAssertEqual(try redis.cli("EXISTS", "support:chat-owner:demo:\(id)"), "0", "the test needs the lease to have lapsed")
        XCTAssertEqual(try redis.cli("HEXISTS", callKey(caller), id), "1", "the test needs the checkpoint to outlive the outage")
        XCTAssertTrue(try eventually(20) { try get(second.url + "/health").json["status"] as? String == "ok" }, "the second host did not reconnect")

        // The caller calls again on the second host (a second line): the live call is not taken.
        let (other, session) = try await greetedCall(second, caller: caller)
        assertStartsAfresh(session, "a live call was taken for lost after a Redis outage")
        XCTAssertEqual(try redis.cli("HEXISTS", callKey(caller), id), "1", "the live call's checkpoint was taken")
        XCTAssertFalse(try storedSessionIDs(caller: caller).contains(id), "the live call was recorded as lost")

        // The first host goes on with it, and it is recorded once, as it ends.
        kill(first.pid, SIGCONT)
        thawed = true
        call.socket.send(text: #"{"type":"text","text":"ORD-12345"}"#)
        let lookedUp = try await call.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "tool_call" && $0["tool"] as? String == "lookup_order" } }
        XCTAssertTrue(lookedUp, "the live call did not go on: \(call.events)")
        for each in [call, other] { each.socket.send(text: #"{"type":"end"}"#) }
        XCTAssertTrue(try eventually(15) { try storedSessionIDs(caller: caller).count == 2 }, "\((try? storedSessionIDs(caller: caller)) ?? [])")
        let recorded = try interactions(caller).filter { $0["session_id"] as? String == id }
        XCTAssertEqual(recorded.count, 1)
        XCTAssertEqual(recorded.first?["outcome"] as? String, "caller_hangup", "\(recorded)")
        XCTAssertTrue(try eventually(10) { try redis.cli("EXISTS", callKey(caller)) == "0" }, "a checkpoint outlived its call")
        for each in [call, other] { each.close() }
    }
}
