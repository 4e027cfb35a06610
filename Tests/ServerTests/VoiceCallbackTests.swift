import Foundation
import Glibc
import HostTestSupport
import XCTest

/// A voice call whose host dies is lost, but not forgotten (docs/scaling.md, "What each kind of
/// session survives"): real `agent-host serve` processes sharing a real redis-server, a caller
/// speaking synthesised audio over `WS /ws/voice`. The call's state is checkpointed under its
/// caller after every turn (docs/protocol.md §8); when its host is SIGKILLed and the caller calls
/// another host, that host records the lost call (`host_lost`, once) and the new call starts at
/// the agent the caller was with, which carries on from where it was.
final class VoiceCallbackTests: HostProcessTestCase {
    func ws(_ host: Host, _ caller: String) -> String {
        host.url.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/" + caller.replacingOccurrences(of: "+", with: "%2B")
    }

    func callKey(_ caller: String) -> String { "support:call:demo:\(caller)" }

    func interactions(_ caller: String) throws -> [[String: Any]] {
        let json = try redis.cli("GET", "support:session:demo:\(caller)")
        let record = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
        return record?["interactions"] as? [[String: Any]] ?? []
    }

    static func events(_ call: VoiceTestCaller, _ type: String) -> [[String: Any]] {
        call.events.filter { $0["type"] as? String == type }
    }

    /// Reaches the Refund Agent by voice on `host`; returns the call and its session id once the
    /// call's checkpoint names the Refund Agent.
    func callReachingRefunds(_ host: Host, caller: String) async throws -> (VoiceTestCaller, String) {
        let call = try VoiceTestCaller(url: ws(host, caller))
        let speech = try await VoiceTestCaller.speech("I need a refund please.")
        try await call.stream(VoiceTestCaller.pcmFrames(VoiceTestCaller.silence(milliseconds: 300) + speech + VoiceTestCaller.silence(milliseconds: 1_000)))
        let reached = try await call.wait { received in
            received.compactMap(\.json).contains { $0["type"] as? String == "turn_end" && $0["agent"] as? String == "Refund Agent" }
        }
        XCTAssertTrue(reached, "the caller reached the Refund Agent: \(call.events)")
        let id = try XCTUnwrap(Self.events(call, "session").first?["session_id"] as? String)
        XCTAssertTrue(try eventually(5) { try redis.cli("HGET", callKey(caller), id).contains("com.agenthost.support.refund") },
                      "no checkpoint of the call at the Refund Agent: \((try? redis.cli("HGETALL", callKey(caller))) ?? "")")
        return (call, id)
    }

    /// A new call of `caller` to `host` that asks to be greeted: the call and its `session` event,
    /// once the greeting's turn has ended.
    func greetedCall(_ host: Host, caller: String, file: StaticString = #filePath, line: UInt = #line) async throws -> (VoiceTestCaller, [String: Any]) {
        let call = try VoiceTestCaller(url: ws(host, caller))
        call.socket.send(text: #"{"type":"start","sample_rate":16000,"greet":true}"#)
        let greeted = try await call.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "turn_end" } }
        XCTAssertTrue(greeted, "greeted: \(call.events)", file: file, line: line)
        return (call, try XCTUnwrap(Self.events(call, "session").first, file: file, line: line))
    }

    /// The call's `session` event says it continues nothing and starts at the entry agent.
    func assertStartsAfresh(_ session: [String: Any], _ why: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(session["continues"], "\(why): \(session)", file: file, line: line)
        XCTAssertEqual(session["agent"] as? String, "Triage Agent", "\(session)", file: file, line: line)
    }

    func testACallerWhoseHostDiedIsRecognisedAndContinuesWithTheirAgent() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let third = try startHost("third")
        let caller = "+15554460001"
        let (lost, lostID) = try await callReachingRefunds(first, caller: caller)

        // The host dies mid-call: the line drops, and the call has left no record.
        kill(first.pid, SIGKILL)
        XCTAssertNotNil(waitForExit(first))
        lost.close()
        XCTAssertEqual(try storedSessionIDs(caller: caller), [])

        // The caller calls back, twice at once on two hosts (a redial racing the first attempt).
        let callbacks = [try VoiceTestCaller(url: ws(second, caller)), try VoiceTestCaller(url: ws(third, caller))]
        for call in callbacks { call.socket.send(text: #"{"type":"start","sample_rate":16000,"greet":true}"#) }
        for call in callbacks {
            let greeted = try await call.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "turn_end" } }
            XCTAssertTrue(greeted, "greeted: \(call.events)")
        }
        let sessions = callbacks.compactMap { Self.events($0, "session").first }
        XCTAssertEqual(sessions.count, 2, "\(callbacks.map(\.events))")
        // Exactly one of them took the lost call up.
        let continued = sessions.filter { $0["continues"] as? String == lostID }
        XCTAssertEqual(continued.count, 1, "one callback continues \(lostID): \(sessions)")
        let index = try XCTUnwrap(sessions.firstIndex { $0["continues"] as? String == lostID })
        let call = callbacks[index]
        let other = callbacks[1 - index]
        XCTAssertEqual(sessions[index]["returning"] as? Bool, true, "\(sessions[index])")
        XCTAssertEqual(sessions[index]["agent"] as? String, "Refund Agent", "the call starts at the agent the caller was with: \(sessions[index])")
        XCTAssertEqual(sessions[1 - index]["agent"] as? String, "Triage Agent", "the other callback is a new call: \(sessions[1 - index])")
        XCTAssertEqual(Self.events(call, "agent").first?["agent"] as? String, "Refund Agent", "the greeting is the Refund Agent's: \(call.events)")
        other.socket.send(text: #"{"type":"end"}"#)

        // The lost call is in the caller's record once, ended by its host's loss, with what was said.
        XCTAssertTrue(try eventually(10) { try storedSessionIDs(caller: caller).contains(lostID) }, "the lost call was not recorded")
        let recorded = try interactions(caller).filter { $0["session_id"] as? String == lostID }
        XCTAssertEqual(recorded.count, 1)
        XCTAssertEqual(recorded.first?["outcome"] as? String, "host_lost", "\(recorded)")
        XCTAssertEqual(recorded.first?["agents"] as? [String], ["Triage Agent", "Refund Agent"], "\(recorded)")
        XCTAssertTrue("\(recorded.first?["transcript"] ?? "")".lowercased().contains("refund"), "\(recorded)")
        XCTAssertEqual(try redis.cli("HEXISTS", callKey(caller), lostID), "0", "the lost call's checkpoint was left behind")

        // The Refund Agent carries on from its question: the order number goes straight to the lookup.
        call.socket.send(text: #"{"type":"text","text":"ORD-12345"}"#)
        let lookedUp = try await call.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "tool_call" && $0["tool"] as? String == "lookup_order" } }
        XCTAssertTrue(lookedUp, "the Refund Agent looked the order up: \(call.events)")
        XCTAssertEqual(Self.events(call, "handoff").count, 0, "no routing again: \(call.events)")
        call.socket.send(text: #"{"type":"end"}"#)

        // The new call is recorded on its own, without the lost call's lines; no checkpoint is left.
        let newID = try XCTUnwrap(sessions[index]["session_id"] as? String)
        XCTAssertTrue(try eventually(10) { try storedSessionIDs(caller: caller).contains(newID) })
        let newCall = try XCTUnwrap(try interactions(caller).first { $0["session_id"] as? String == newID })
        XCTAssertEqual(newCall["agents"] as? [String], ["Refund Agent"], "\(newCall)")
        XCTAssertFalse("\(newCall["transcript"] ?? "")".lowercased().contains("need a refund"), "the lost call's lines are its own: \(newCall)")
        XCTAssertEqual(try storedSessionIDs(caller: caller).filter { $0 == lostID }.count, 1)
        XCTAssertTrue(try eventually(10) { try redis.cli("EXISTS", callKey(caller)) == "0" }, "a checkpoint outlived its call: \((try? redis.cli("HGETALL", callKey(caller))) ?? "")")
        for call in callbacks { call.close() }
    }

    /// A call live on another host is not taken for a lost one: a second call of the same caller
    /// starts at the Triage Agent, and the first goes on and is recorded as it ends. A call that
    /// ends normally leaves no checkpoint behind.
    func testACallLiveOnAnotherHostIsNotTakenOverAndAnEndedCallLeavesNoCheckpoint() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460002"
        let (live, liveID) = try await callReachingRefunds(first, caller: caller)

        let (other, session) = try await greetedCall(second, caller: caller)
        assertStartsAfresh(session, "a live call was taken over")
        XCTAssertEqual(try storedSessionIDs(caller: caller), [], "a live call was recorded")
        XCTAssertTrue(try redis.cli("HGET", callKey(caller), liveID).contains("com.agenthost.support.refund"), "the live call's checkpoint was taken")

        // The live call goes on where it is.
        live.socket.send(text: #"{"type":"text","text":"ORD-12345"}"#)
        let lookedUp = try await live.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "tool_call" && $0["tool"] as? String == "lookup_order" } }
        XCTAssertTrue(lookedUp, "\(live.events)")

        // Both end normally: recorded as they ended, and nothing is left to recover.
        for call in [live, other] { call.socket.send(text: #"{"type":"end"}"#) }
        XCTAssertTrue(try eventually(10) { try storedSessionIDs(caller: caller).count == 2 }, "\((try? storedSessionIDs(caller: caller)) ?? [])")
        XCTAssertEqual(try interactions(caller).compactMap { $0["outcome"] as? String }, ["caller_hangup", "caller_hangup"])
        XCTAssertTrue(try eventually(10) { try redis.cli("EXISTS", callKey(caller)) == "0" }, "an ended call left its checkpoint: \((try? redis.cli("HGETALL", callKey(caller))) ?? "")")
        for call in [live, other] { call.close() }
    }
    /// The same through a phone line: a Twilio media stream naming its caller (the call's events
    /// go nowhere, so the new call's checkpoint says where it stands).
    func testATwilioCallLostWithItsHostIsRecordedAndContinuedOnTheCallback() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460003"
        func stream(_ host: Host, sid: String) throws -> VoiceTestCaller {
            let call = try VoiceTestCaller(url: host.url.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media")
            call.socket.send(text: #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
            call.socket.send(text: TwilioMediaTests.start(streamSid: sid, callSid: "CA" + sid, parameters: ["tenant": "demo", "caller": caller]))
            return call
        }
        func checkpoints() throws -> [String: [String: Any]] {
            let fields = try redis.cli("HKEYS", callKey(caller)).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            var found: [String: [String: Any]] = [:]
            for field in fields {
                found[field] = (try? JSONSerialization.jsonObject(with: Data(try redis.cli("HGET", callKey(caller), field).utf8))) as? [String: Any]
            }
            return found
        }
        let lost = try stream(first, sid: "MZlost")
        let speech = try await VoiceTestCaller.speech("I need a refund please.")
        try await lost.stream(try VoiceTestCaller.muLawFrames(VoiceTestCaller.silence(milliseconds: 2_500) + speech + VoiceTestCaller.silence(milliseconds: 1_200))) {
            TwilioMediaTests.media($0, streamSid: "MZlost")
        }
        XCTAssertTrue(try eventually(15) { try checkpoints().values.contains { $0["current_agent"] as? String == "com.agenthost.support.refund" } },
                      "the call reached the Refund Agent: \((try? checkpoints()) ?? [:])")
        let lostID = try XCTUnwrap(try checkpoints().first { $0.value["current_agent"] as? String == "com.agenthost.support.refund" }?.key)
        kill(first.pid, SIGKILL)
        XCTAssertNotNil(waitForExit(first))
        lost.close()

        let callback = try stream(second, sid: "MZback")
        XCTAssertTrue(try eventually(15) { try storedSessionIDs(caller: caller) == [lostID] }, "\((try? storedSessionIDs(caller: caller)) ?? [])")
        XCTAssertEqual(try interactions(caller).first?["outcome"] as? String, "host_lost")
        // The callback greeted at the Refund Agent, carrying the lost call's lines.
        XCTAssertTrue(try eventually(15) { try checkpoints().values.contains { $0["current_agent"] as? String == "com.agenthost.support.refund" } },
                      "\((try? checkpoints()) ?? [:])")
        let continued = try XCTUnwrap(try checkpoints().first { $0.key != lostID }?.value)
        XCTAssertEqual(continued["agents_visited"] as? [String], ["Refund Agent"], "\(continued)")
        XCTAssertGreaterThan(continued["inherited_lines"] as? Int ?? 0, 0, "\(continued)")
        XCTAssertTrue("\(continued["history"] ?? "")".contains("we were cut off"), "\(continued)")
        callback.socket.send(text: #"{"event":"stop","sequenceNumber":"99","streamSid":"MZback","stop":{"accountSid":"AC1","callSid":"CAMZback"}}"#)
        XCTAssertTrue(try eventually(10) { try storedSessionIDs(caller: caller).count == 2 })
        XCTAssertTrue(try eventually(10) { try redis.cli("EXISTS", callKey(caller)) == "0" })
        callback.close()
    }
}
