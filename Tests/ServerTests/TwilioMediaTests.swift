import Foundation
import HostAudio
import HostNet
import HostServer
import HostSpeech
import HostVoice
import XCTest

/// `WS /twilio/media` as Twilio's Media Streams drive it: JSON messages, base64 mu-law at 8 kHz,
/// tenant and caller from the start message's custom parameters. Real phone-band audio (flite
/// speech narrowed to 8 kHz mu-law) through the real pipeline.
final class TwilioMediaTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    static func start(streamSid: String, callSid: String = "CA1", parameters: [String: String]) -> String {
        let custom = parameters.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        return #"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"\#(streamSid)","callSid":"\#(callSid)","tracks":["inbound"],"customParameters":{\#(custom)},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"\#(streamSid)"}"#
    }

    static func media(_ frame: [UInt8], streamSid: String) -> BlockingWebSocket.Message {
        .text(#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"20","payload":"\#(Data(frame).base64EncodedString())"},"streamSid":"\#(streamSid)"}"#)
    }

    func testAPhoneCallIsGreetedHeardAtEightKilohertzInterruptedWithClearAndPersisted() async throws {
        let caller = VoiceTestCaller.self
        let call = try VoiceTestCaller(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media")
        let sid = "MZ0123456789abcdef"
        call.socket.send(text: #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
        call.socket.send(text: Self.start(streamSid: sid, parameters: ["tenant": "demo", "caller": "+15553334444"]))
        func outbound(_ event: String) -> [[String: Any]] { call.events.filter { $0["event"] as? String == event } }

        // The agent greets first; 400 ms in, the caller talks over it: Twilio is told to clear.
        let greeted = try await call.wait(seconds: 10) { $0.contains { $0.json?["event"] as? String == "media" } }
        XCTAssertTrue(greeted, "the greeting arrives as media messages: \(call.events.prefix(3))")
        let speech = try await caller.speech("I need a refund for order one two three four five.")
        let frames = try caller.muLawFrames(caller.silence(milliseconds: 400) + speech + caller.silence(milliseconds: 1_200))
        try await call.stream(frames) { Self.media($0, streamSid: sid) }
        XCTAssertFalse(outbound("clear").isEmpty, "barge-in sends clear")
        // The answer plays and ends with a mark.
        let answered = try await call.wait(seconds: 20) { received in
            received.compactMap(\.json).filter { $0["event"] as? String == "mark" }.count >= 1
                && received.compactMap(\.json).filter { $0["event"] as? String == "media" }.count > 100
        }
        XCTAssertTrue(answered, "the answer plays and a mark follows it")
        for message in outbound("media").prefix(50) {
            XCTAssertEqual(message["streamSid"] as? String, sid)
            let payload = (message["media"] as? [String: Any])?["payload"] as? String ?? ""
            XCTAssertEqual(Data(base64Encoded: payload)?.count, 160, "20 ms of 8 kHz mu-law per media message")
        }
        call.socket.send(text: #"{"event":"stop","sequenceNumber":"99","streamSid":"\#(sid)","stop":{"accountSid":"AC1","callSid":"CA1"}}"#)
        var record: CompletedSession?
        for _ in 0..<200 where record == nil {
            record = persistence.sessions(tenant: "demo", caller: "+15553334444").last
            try await Task.sleep(for: .milliseconds(50))
        }
        call.close()
        let saved = try XCTUnwrap(record, "the call's session was persisted after stop")
        XCTAssertTrue(saved.transcript.contains { $0.role == "user" && $0.text.contains("refund") }, "\(saved.transcript.map(\.text))")
        XCTAssertTrue(saved.agents.contains("Refund Agent"), "\(saved.agents)")
        XCTAssertEqual(saved.outcome, "caller_hangup")
    }

    func testAStartForAnUnknownTenantOrWithoutTheKeyIsRefusedAndNothingIsOpened() async throws {
        // The last: a withheld number on a start with no call id would share one caller with every such call.
        for (start, expected) in [(Self.start(streamSid: "MZ1", parameters: ["tenant": "nope"]), "unknown tenant"),
                                  (Self.start(streamSid: "MZ1", parameters: ["tenant": "secure"]), "API key"),
                                  (Self.start(streamSid: "", callSid: "", parameters: ["caller": "anonymous"]), "neither callSid nor streamSid")] {
            let call = try VoiceTestCaller(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media")
            call.socket.send(text: start)
            let closed = try await call.wait(seconds: 5) { $0.contains { if case .closed = $0.message { true } else { false } } }
            XCTAssertTrue(closed, "the stream is closed")
            let reason = call.received.compactMap { message -> String? in
                if case .closed(let code, let reason) = message.message { return "\(code) \(reason)" } else { return nil }
            }.first ?? ""
            XCTAssertTrue(reason.hasPrefix("1008") && reason.contains(expected), reason)
            call.close()
        }
        let health = try await request("GET", "/health")
        XCTAssertEqual(health.json["active_sessions"] as? Int, 0, "a refused stream opens no session")
    }
}
