import Foundation
import Host
import HostAudio
import HostNet
import HostServer
import HostSpeech
import HostVoice
import XCTest

/// Caller key presses on a Twilio call: during a closed prompt for an order number the presses
/// are gathered into one answer (`#` ends it), not taken as five one-digit turns.
final class TwilioKeypadTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    func testDigitsPressedForAnOrderNumberArriveAsOneAnswer() async throws {
        let call = try VoiceTestCaller(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media")
        let sid = "MZ0123456789abcdef"
        call.socket.send(text: TwilioMediaTests.start(streamSid: sid, parameters: ["tenant": "demo", "caller": "+15556667777"]))
        func marks() -> Int { call.events.filter { $0["event"] as? String == "mark" }.count }
        let greeted = try await call.wait(seconds: 15) { _ in marks() >= 1 }
        XCTAssertTrue(greeted, "the greeting played")
        let speech = try await VoiceTestCaller.speech("I need a refund.")
        try await call.stream(try VoiceTestCaller.muLawFrames(speech + VoiceTestCaller.silence(milliseconds: 1_200))) { TwilioMediaTests.media($0, streamSid: sid) }
        let asked = try await call.wait(seconds: 20) { _ in marks() >= 2 }
        XCTAssertTrue(asked, "the refund agent asked for the order number")
        for key in ["1", "2", "3", "4", "5", "#"] {
            call.socket.send(text: #"{"event":"dtmf","streamSid":"\#(sid)","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"\#(key)"}}"#)
        }
        _ = try await call.wait(seconds: 20) { _ in marks() >= 3 }
        call.socket.send(text: #"{"event":"stop","sequenceNumber":"99","streamSid":"\#(sid)","stop":{"accountSid":"AC1","callSid":"CA1"}}"#)
        var record: CompletedSession?
        for _ in 0..<200 where record == nil {
            record = persistence.sessions(tenant: "demo", caller: "+15556667777").last
            try await Task.sleep(for: .milliseconds(50))
        }
        call.close()
        let saved = try XCTUnwrap(record)
        let said = saved.transcript.filter { $0.role == "user" }.map(\.text)
        XCTAssertTrue(said.contains("12345"), "the presses are one answer: \(said)")
        XCTAssertFalse(said.contains("1"), "not five turns: \(said)")
        XCTAssertTrue(saved.tools.contains("lookup_order"), "the agent looked the order up: \(saved.tools) \(saved.transcript.map(\.text))")
    }
}
