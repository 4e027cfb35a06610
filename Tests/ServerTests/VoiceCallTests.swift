import Foundation
import HostAudio
import HostNet
import HostSpeech
import HostVoice
import XCTest

/// Real audio through the real pipeline: a caller's sentence synthesised with flite, streamed in
/// real time over WS /ws/voice/{caller}, detected by the server VAD, recognised by pocketsphinx
/// with the tenant's language model, routed by the real departments, and answered in audio.
final class VoiceCallTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    func testASpokenRefundRequestIsHeardRoutedAndAnsweredInAudio() async throws {
        let (speech, _) = try await FliteSynthesizer().synthesizeAll(text: "I need a refund for order one two three four five.")
        let socket = try BlockingWebSocket(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/%2B15556667777")
        let silence = [Int16](repeating: 0, count: 16_000)  // 1 s: longer than the 800 ms silence window
        let audio = silence.prefix(8_000) + speech + silence
        // Stream in real time: 20 ms (320 samples, 640 bytes) per frame.
        let clock = ContinuousClock()
        let start = clock.now
        for (index, offset) in stride(from: 0, to: audio.count, by: 320).enumerated() {
            let frame = Array(audio[(audio.startIndex + offset)..<min(audio.endIndex, audio.startIndex + offset + 320)])
            socket.send(binary: PCM16.littleEndianBytes(frame))
            try await clock.sleep(until: start + .milliseconds(20 * (index + 1)))
        }
        var events: [[String: Any]] = []
        var audioBytes = 0
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !(events.contains { $0["type"] as? String == "turn_end" } && audioBytes > 16_000) {
            switch socket.receive(timeoutSeconds: 5) {
            case .text(let text)?:
                if let event = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] { events.append(event) }
            case .binary(let bytes)?:
                audioBytes += bytes.count
            default:
                break
            }
        }
        let types = events.compactMap { $0["type"] as? String }
        XCTAssertTrue(types.contains("speech_started") && types.contains("speech_stopped"), "\(types)")
        let heard = events.first { $0["type"] as? String == "user" && $0["final"] as? Bool == true }?["text"] as? String ?? ""
        XCTAssertTrue(heard.contains("refund"), "recognised: \(heard)")
        XCTAssertTrue(events.contains { $0["type"] as? String == "handoff" && $0["to"] as? String == "Refund Agent" }, "\(types)")
        XCTAssertGreaterThan(audioBytes, 16_000, "the agent's answer came back as audio frames")
        socket.send(text: #"{"type":"end"}"#)
        _ = socket.close()
    }

    func testABadStartMessageGetsAnErrorAndAnUnknownEncodingIsRefused() throws {
        let socket = try BlockingWebSocket(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/caller-2")
        _ = socket.receive(timeoutSeconds: 5)  // session
        socket.send(text: #"{"type":"start","sample_rate":11025,"encoding":"pcm16"}"#)
        var code: String?
        while code == nil, case .text(let text)? = socket.receive(timeoutSeconds: 5) {
            if let event = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], event["type"] as? String == "error" {
                code = event["code"] as? String
            }
        }
        XCTAssertEqual(code, "bad_start")
        // A field of the wrong type is named, not read as its default.
        for (start, named) in [(#"{"type":"start","sample_rate":"16000"}"#, "'sample_rate'"),
                               (#"{"type":"start","sample_rate":16000.5}"#, "'sample_rate'"),
                               (#"{"type":"start","encoding":7}"#, "'encoding'"),
                               (#"{"type":"start","greet":1}"#, "'greet' must be true or false")] {
            socket.send(text: start)
            var message: String?
            while message == nil, case .text(let text)? = socket.receive(timeoutSeconds: 5) {
                if let event = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], event["type"] as? String == "error" {
                    XCTAssertEqual(event["code"] as? String, "bad_start", start)
                    message = event["message"] as? String
                }
            }
            XCTAssertTrue(message?.contains(named) ?? false, "\(start): \(message ?? "no error")")
        }
        _ = socket.close()
    }
}
