import Foundation
@testable import Host
import HostAudio
import HostModels
import HostNet
import HostOrchestration
import HostPlugins
import HostServer
import HostSpeech
import HostVoice
import XCTest

/// An agent sending keypad digits on a Twilio call (draft extension agent_host.dtmf.draft/0):
/// the host asks Twilio (the REST stand-in) to play them, Twilio's new Media Stream resumes the
/// same call and session, and the conversation goes on there.
final class TwilioDigitsOutTests: ServerTestCase {
    private var twilio: TwilioRESTStandIn!

    override func setUp() async throws {
        twilio = try TwilioRESTStandIn()
        let standIn = twilio!
        try startServer { configuration in configuration.telephony.twilio = standIn.account() }
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    override func tearDown() {
        super.tearDown()
        twilio?.stop()
    }

    func testDigitsArePlayedThroughTwilioAndTheNewStreamResumesTheSameSession() async throws {
        let callSid = "CA" + String(repeating: "5", count: 32)
        twilio.placeCall(callSid)
        let ws = base.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media"
        // Twilio signs each stream's handshake over the public stream URL (docs/telephony.md).
        let signed = try TwilioTestSignature.streamHeaders(authToken: twilio.authToken, url: "wss://voice.example.com/twilio/media")
        let first = try VoiceTestCaller(url: ws, headers: signed)
        first.socket.send(text: TwilioMediaTests.start(streamSid: "MZold", callSid: callSid, parameters: ["tenant": "demo", "caller": "+15558889999"]))
        let greeted = try await first.wait(seconds: 15) { $0.contains { $0.json?["event"] as? String == "mark" } }
        XCTAssertTrue(greeted)
        let session = try XCTUnwrap(deployment.services.keypad.sessions.first, "the call's session can send digits")

        XCTAssertFalse(KeypadOut.validDigits("12a"), "only 0-9 * # w")
        XCTAssertFalse(deployment.services.keypad.send(session: session, tenant: "another-tenant", digits: "1"),
                       "another tenant's plugin cannot send digits on this call, even with its session id")
        XCTAssertTrue(deployment.services.keypad.send(session: session, tenant: "demo", digits: "ww1234#"))
        XCTAssertFalse(deployment.services.keypad.send(session: "no-such-session", tenant: "demo", digits: "1"))
        var state: TwilioRESTStandIn.Call?
        for _ in 0..<100 {
            state = twilio.call(callSid)
            if state?.playedDigits.isEmpty == false { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(state?.playedDigits, ["ww1234#"], "Twilio was asked to play the digits: \(twilio.requests)")
        XCTAssertEqual(state?.streamURL, "wss://voice.example.com/twilio/media")
        let token = try XCTUnwrap(state?.streamParameters["resume"])

        // Twilio ends the old stream (stop, close): that is not a hang-up.
        first.socket.send(text: #"{"event":"stop","sequenceNumber":"9","streamSid":"MZold","stop":{"accountSid":"AC1","callSid":"\#(callSid)"}}"#)
        first.close()
        try await Task.sleep(for: .milliseconds(300))
        let during = try await request("GET", "/health")
        XCTAssertEqual(during.json["active_sessions"] as? Int, 1, "the session waits for the new stream")

        // The new stream resumes the call: the caller is heard and answered there.
        let second = try VoiceTestCaller(url: ws, headers: signed)
        second.socket.send(text: TwilioMediaTests.start(streamSid: "MZnew", callSid: callSid, parameters: state?.streamParameters ?? [:]))
        let speech = try await VoiceTestCaller.speech("I need a refund.")
        try await second.stream(try VoiceTestCaller.muLawFrames(speech + VoiceTestCaller.silence(milliseconds: 1_200))) { TwilioMediaTests.media($0, streamSid: "MZnew") }
        let answered = try await second.wait(seconds: 20) { $0.contains { $0.json?["event"] as? String == "mark" } }
        XCTAssertTrue(answered, "the agent answers on the new stream")
        XCTAssertTrue(second.events.contains { $0["streamSid"] as? String == "MZnew" }, "output goes to the new stream")

        // Digits a second time, now played from the new stream: its end is no hang-up either.
        XCTAssertTrue(deployment.services.keypad.send(session: session, tenant: "demo", digits: "5#"))
        var again: TwilioRESTStandIn.Call?
        for _ in 0..<100 {
            again = twilio.call(callSid)
            if (again?.playedDigits.count ?? 0) >= 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(again?.playedDigits, ["ww1234#", "5#"], "Twilio was asked to play the second digits: \(twilio.requests)")
        second.socket.send(text: #"{"event":"stop","sequenceNumber":"99","streamSid":"MZnew","stop":{"accountSid":"AC1","callSid":"\#(callSid)"}}"#)
        second.close()
        try await Task.sleep(for: .milliseconds(300))
        let between = try await request("GET", "/health")
        XCTAssertEqual(between.json["active_sessions"] as? Int, 1, "the second stream's end while digits play is no hang-up")
        let third = try VoiceTestCaller(url: ws, headers: signed)
        third.socket.send(text: TwilioMediaTests.start(streamSid: "MZthird", callSid: callSid, parameters: again?.streamParameters ?? [:]))
        try await Task.sleep(for: .milliseconds(300))
        third.socket.send(text: #"{"event":"stop","sequenceNumber":"120","streamSid":"MZthird","stop":{"accountSid":"AC1","callSid":"\#(callSid)"}}"#)
        var records: [CompletedSession] = []
        for _ in 0..<200 where records.isEmpty {
            records = persistence.sessions(tenant: "demo", caller: "+15558889999")
            try await Task.sleep(for: .milliseconds(50))
        }
        third.close()
        XCTAssertEqual(records.count, 1, "one session across the three streams")
        XCTAssertEqual(records.first?.sessionID, session)
        XCTAssertTrue(records.first?.transcript.contains { $0.role == "user" && $0.text.contains("refund") } == true)

        // A stale token is refused.
        let stale = try VoiceTestCaller(url: ws, headers: signed)
        stale.socket.send(text: TwilioMediaTests.start(streamSid: "MZstale", callSid: callSid, parameters: ["tenant": "demo", "resume": token]))
        let refused = try await stale.wait(seconds: 5) { $0.contains { if case .closed = $0.message { true } else { false } } }
        XCTAssertTrue(refused, "a used resume token is refused")
        stale.close()
    }
}
