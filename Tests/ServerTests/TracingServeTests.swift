import Foundation
import Host
import HostTestSupport
import TestSupport
import XCTest

/// `agent-host serve` with `telemetry:` (docs/operations.md): the spans of a chat reach an OTLP/HTTP
/// collector (the protocol-faithful `OTLPReceiver`), and those still batched when the host is told
/// to stop are sent before it exits.
final class TracingServeTests: HostProcessTestCase {
    func testAServedChatIsExportedOverOTLPAndFlushedOnSIGTERM() throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        let port = try LoopbackPort.free()
        // A long export interval: what arrives, arrives through the shutdown's flush.
        let telemetry = "telemetry:\n  otlp_endpoint: \"\(receiver.endpoint)\"\n  service_name: served-host\n  export_interval_ms: 60000\n"
        let path = directory.file("traced.yaml")
        try (telemetry + demoYAML(port: port, journal: "traced")).write(toFile: path, atomically: true, encoding: .utf8)
        let host = try launchHost("traced", config: path, port: port)

        let opened = try post(host.url + "/v1/chat", #"{"caller":"+15550007777","text":"what's my balance"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let ended = try post(host.url + "/v1/chat", #"{"session_id":"\#(opened.sessionID)","end":true}"#)
        XCTAssertEqual(ended.status, 200, ended.body)
        XCTAssertTrue(receiver.spans.isEmpty, "nothing sent before the batch's interval")

        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0, host.logText.suffix(2000).description)
        let spans = receiver.waitFor(seconds: 5) { $0.contains { $0.name == "session" } }
        XCTAssertEqual(receiver.rejected, [])
        let session = try XCTUnwrap(spans.first { $0.name == "session" }, "\(spans)\n\(host.logText.suffix(2000))")
        XCTAssertEqual(session.resource["service.name"], .string("served-host"))
        XCTAssertEqual(session.string("gen_ai.conversation.id"), opened.sessionID)
        let turn = try XCTUnwrap(spans.first { $0.name == "turn" })
        XCTAssertEqual(turn.parentSpanID, session.spanID)
        let steps = spans.filter { $0.name.hasPrefix("invoke_agent ") }
        XCTAssertFalse(steps.isEmpty, "\(spans)")
        XCTAssertTrue(steps.allSatisfy { $0.parentSpanID == turn.spanID && $0.traceID == session.traceID })
        XCTAssertFalse(spans.flatMap(\.allStrings).contains { $0.contains("balance") || $0.contains("+15550007777") }, "no caller text")
    }

    /// A voice call in semantic mode: recognition, the turn detector's verdicts and each reply's
    /// synthesis are spans of the call's trace, with no words in them.
    func testAVoiceCallsSpeechStagesAreSpans() async throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        let port = try LoopbackPort.free()
        let telemetry = "telemetry:\n  otlp_endpoint: \"\(receiver.endpoint)\"\n  export_interval_ms: 100\n"
        let semantic = "    turn_detection: {mode: semantic, min_silence_ms: 250, max_silence_ms: 1200}"
        let path = directory.file("traced-voice.yaml")
        try (telemetry + demoYAML(port: port, journal: "traced-voice", tenantLimits: semantic)).write(toFile: path, atomically: true, encoding: .utf8)
        let host = try launchHost("traced-voice", config: path, port: port)

        let speech = try await VoiceTestCaller.speech("What is your shipping policy?")
        let call = try VoiceTestCaller(url: host.url.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/%2B15554440000")
        try await call.stream(VoiceTestCaller.pcmFrames(VoiceTestCaller.silence(milliseconds: 300) + speech + VoiceTestCaller.silence(milliseconds: 1_500)))
        let answered = try await call.wait { received in
            // A turn_end after the caller's words were heard (the greeting's comes before them).
            let types = received.compactMap(\.json).map { ($0["type"] as? String ?? "") + (($0["final"] as? Bool) == true ? ":final" : "") }
            guard let heard = types.firstIndex(of: "user:final") else { return false }
            return types[heard...].contains("turn_end") && received.filter(\.isAudio).count > 25
        }
        XCTAssertTrue(answered, "answered in audio: \(call.eventTypes)")
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0, host.logText.suffix(2000).description)

        let spans = receiver.waitFor(seconds: 5) { $0.contains { $0.name == "session" } }
        let session = try XCTUnwrap(spans.first { $0.name == "session" }, "\(spans)")
        let turns = spans.filter { $0.name == "turn" }
        let recognitions = spans.filter { $0.name == "speech_recognition" }
        let verdicts = spans.filter { $0.name == "turn_detection" }
        let syntheses = spans.filter { $0.name == "speech_synthesis" }
        XCTAssertFalse(recognitions.isEmpty, "\(spans)")
        XCTAssertFalse(verdicts.isEmpty, "\(spans)")
        XCTAssertFalse(syntheses.isEmpty, "\(spans)")
        let inCall = Set([session.spanID] + turns.map(\.spanID))
        for span in recognitions + verdicts + syntheses {
            XCTAssertEqual(span.traceID, session.traceID)
            XCTAssertTrue(inCall.contains(span.parentSpanID), "\(span.name) hangs under the session or a turn: \(span)")
        }
        XCTAssertTrue(syntheses.allSatisfy { turns.map(\.spanID).contains($0.parentSpanID) }, "a reply is synthesised within its turn")
        XCTAssertTrue(recognitions.contains { $0.string("agent_host.speech.search") == "lm" && ($0.int("agent_host.speech.audio_ms") ?? 0) > 500 })
        XCTAssertTrue(verdicts.contains { $0.string("agent_host.turn_detection.verdict") == "complete" }, "\(verdicts)")
        XCTAssertFalse(spans.flatMap(\.allStrings).contains { $0.lowercased().contains("shipping") }, "no caller words")
    }
}
