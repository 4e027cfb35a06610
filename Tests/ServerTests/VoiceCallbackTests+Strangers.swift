import Foundation
import Glibc
import HostTestSupport
import XCTest

/// When a lost call must not be continued (docs/protocol.md §8): a withheld number does not name
/// one person, and a call already recorded as ended is not a cut-off call even if its checkpoint
/// outlived it.
extension VoiceCallbackTests {
    /// Every withheld caller of a tenant arrives as `anonymous`: one such caller's lost call must
    /// never be continued by the next, who is a stranger. No checkpoint is kept for them at all.
    func testAWithheldNumberIsNeverCheckpointedNorContinued() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "anonymous"
        let call = try VoiceTestCaller(url: ws(first, caller))
        let speech = try await VoiceTestCaller.speech("I need a refund please.")
        try await call.stream(VoiceTestCaller.pcmFrames(VoiceTestCaller.silence(milliseconds: 300) + speech + VoiceTestCaller.silence(milliseconds: 1_000)))
        let reached = try await call.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "turn_end" && $0["agent"] as? String == "Refund Agent" } }
        XCTAssertTrue(reached, "the caller reached the Refund Agent: \(call.events)")
        XCTAssertEqual(try redis.cli("EXISTS", callKey(caller)), "0", "a withheld number's call was checkpointed")

        kill(first.pid, SIGKILL)
        XCTAssertNotNil(waitForExit(first))
        call.close()
        let (stranger, session) = try await greetedCall(second, caller: caller)
        assertStartsAfresh(session, "a stranger continued a withheld caller's call")
        stranger.socket.send(text: #"{"type":"end"}"#)
        stranger.close()
    }

    /// A call's checkpoint left behind after the call was recorded (its removal was lost while
    /// Redis was away) does not make the caller's next call a continuation.
    func testACheckpointOfACallRecordedAsEndedIsNotContinued() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460077"
        let (call, id) = try await callReachingRefunds(first, caller: caller)
        let checkpoint = try redis.cli("HGET", callKey(caller), id)
        call.socket.send(text: #"{"type":"end"}"#)
        XCTAssertTrue(try eventually(10) { try storedSessionIDs(caller: caller).contains(id) }, "the call was not recorded")
        call.close()
        XCTAssertTrue(try eventually(10) { try redis.cli("EXISTS", callKey(caller)) == "0" })
        // As if the removal had not reached Redis: the checkpoint is back, its lease long gone.
        _ = try redis.cli("HSET", callKey(caller), id, checkpoint)
        _ = try redis.cli("DEL", "support:chat-owner:demo:\(id)")

        // Its host is gone too (the case where the removal was lost with it); the caller calls another.
        kill(first.pid, SIGKILL)
        XCTAssertNotNil(waitForExit(first))
        let (next, session) = try await greetedCall(second, caller: caller)
        assertStartsAfresh(session, "a call that ended normally was continued as cut off")
        let recorded = try interactions(caller).filter { $0["session_id"] as? String == id }
        XCTAssertEqual(recorded.count, 1)
        XCTAssertEqual(recorded.first?["outcome"] as? String, "caller_hangup", "the normal end stays the record: \(recorded)")
        next.socket.send(text: #"{"type":"end"}"#)
        next.close()
    }
}
