import Foundation
import Glibc
import HostTestSupport
import XCTest

/// When a lost call must not be continued (docs/protocol.md §8): a withheld number does not name
/// one person, and a call that ended is not a cut-off call, even when it ended while Redis was away.
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

    /// Withheld numbers through a phone line (docs/protocol.md §8): the call goes by its own id
    /// (`withheld-{call sid}`), so two withheld callers share no record — neither is "returning" to
    /// the other, nor sees the other's sessions — and neither is checkpointed.
    func testWithheldCallersThroughAPhoneLineShareNoRecord() async throws {
        let host = try startHost("first")
        for sid in ["MZwithheld1", "MZwithheld2"] {
            let call = try VoiceTestCaller(url: host.url.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media")
            call.socket.send(text: #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
            call.socket.send(text: TwilioMediaTests.start(streamSid: sid, callSid: "CA" + sid, parameters: ["tenant": "demo", "caller": "anonymous"]))
            let greeted = try await call.wait { $0.compactMap(\.json).contains { $0["event"] as? String == "media" } }
            XCTAssertTrue(greeted, "the line was not greeted: \(call.events)")
            call.socket.send(text: #"{"event":"stop","sequenceNumber":"99","streamSid":"\#(sid)","stop":{"accountSid":"AC1","callSid":"CA\#(sid)"}}"#)
            XCTAssertTrue(try eventually(10) { try storedSessionIDs(caller: "withheld-CA" + sid).count == 1 },
                          "the call is not recorded under its own id: \((try? redis.cli("KEYS", "support:session:*")) ?? "")")
            call.close()
        }
        XCTAssertEqual(try redis.cli("EXISTS", "support:session:demo:anonymous"), "0", "withheld callers share one record")
        XCTAssertEqual(try redis.cli("KEYS", "support:call:*"), "", "a withheld caller's call was checkpointed")
    }

    /// A call that ends while Redis is away (docs/protocol.md §8): its checkpoint's removal travels
    /// with its record through the journal, so once Redis is back and the journal has drained,
    /// nothing of the call is left to recover — the caller's next call starts afresh, and the
    /// call is recorded once, as it ended.
    func testACallEndedWhileRedisWasAwayIsNotContinuedOnceTheJournalDrains() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460077"
        let (call, id) = try await callReachingRefunds(first, caller: caller)

        // Redis goes away, keeping what it holds (the call's checkpoint); then the caller hangs up.
        redis.stop(persist: true)
        call.socket.send(text: #"{"type":"end"}"#)
        let ended = try await call.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "end" } }
        XCTAssertTrue(ended, "the call did not end without Redis: \(call.events)")
        call.close()
        XCTAssertTrue(try eventually(10) { try metric(first, "agent_host_session_journal_depth") == 1 }, "the record is not waiting in the journal")

        // Redis is back: the journal drains, the record lands and the checkpoint goes with it.
        // It restarts with the call's checkpoint (saved at its shutdown); the host's journal may
        // replay at once, so the checkpoint's presence is not asserted here: without the journaled
        // removal it would stay for good.
        try redis.start()
        XCTAssertTrue(try eventually(30) { try storedSessionIDs(caller: caller) == [id] }, "the journal did not drain: \(first.logText.suffix(2000))")
        XCTAssertTrue(try eventually(5) { try redis.cli("HEXISTS", callKey(caller), id) == "0" },
                      "the ended call's checkpoint outlived the outage: \((try? redis.cli("HGETALL", callKey(caller))) ?? "")")

        // The caller calls again, on another host: a new call; the ended one is recorded once.
        let (next, session) = try await greetedCall(second, caller: caller)
        assertStartsAfresh(session, "a call that ended while Redis was away came back as a cut-off one")
        let recorded = try interactions(caller).filter { $0["session_id"] as? String == id }
        XCTAssertEqual(recorded.count, 1, "\(recorded)")
        XCTAssertEqual(recorded.first?["outcome"] as? String, "caller_hangup", "the call is recorded as it ended: \(recorded)")
        next.socket.send(text: #"{"type":"end"}"#)
        next.close()
    }
}
