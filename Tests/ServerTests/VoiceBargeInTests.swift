import Foundation
import HostAudio
import HostNet
import HostServer
import HostSpeech
import HostVoice
import XCTest

/// Barge-in and the calls that go wrong, with real audio through the real pipeline (flite speech,
/// server VAD, pocketsphinx, the reference departments, flite answers).
final class VoiceBargeInTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    var voiceURL: String { base.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/" }

    /// The agent greets; 600 ms into its audio the caller talks over it. Agent audio must stop
    /// within 100 ms of the caller's first spoken frame, `interrupted` is sent, and the session
    /// record keeps only the part of the greeting the caller heard.
    func testCallerSpeechStopsAgentAudioWithin100msAndOnlyWhatWasHeardIsRecorded() async throws {
        let caller = VoiceTestCaller.self
        let speech = try await caller.speech("I want to ask about my bill.")
        let call = try VoiceTestCaller(url: voiceURL + "%2B15550001111")
        call.socket.send(text: #"{"type":"start","sample_rate":16000,"encoding":"pcm16","greet":true}"#)
        // Silence until the greeting has played for 600 ms.
        let greetingStarted = try await call.wait(seconds: 10) { $0.contains(where: \.isAudio) }
        XCTAssertTrue(greetingStarted, "the agent greets first: \(call.eventTypes)")
        try await call.stream(caller.pcmFrames(caller.silence(milliseconds: 600)))
        let sent = try await call.stream(caller.pcmFrames(speech + caller.silence(milliseconds: 1_200)))
        let onset = sent[firstSpokenFrame(speech)]
        _ = try await call.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "turn_end" && $0["agent"] as? String != "Triage Agent" } || $0.compactMap(\.json).filter { $0["type"] as? String == "turn_end" }.count >= 2 }
        call.socket.send(text: #"{"type":"end"}"#)
        _ = try await call.wait(seconds: 5) { $0.contains { if case .closed = $0.message { true } else { false } } }
        call.close()

        let received = call.received
        let interrupted = try XCTUnwrap(received.firstIndex { $0.json?["type"] as? String == "interrupted" }, "no interrupted event: \(call.eventTypes)")
        let stopped = try XCTUnwrap(received.firstIndex { $0.json?["type"] as? String == "speech_stopped" })
        XCTAssertLessThan(interrupted, stopped)
        // Agent audio between the caller's onset and the end of their utterance: the greeting's tail.
        let tail = received[..<stopped].filter { $0.isAudio && $0.at > onset }
        let lastFrame = tail.last?.at ?? onset
        let stopMilliseconds = Double((lastFrame - onset).components.attoseconds) / 1e15 + Double((lastFrame - onset).components.seconds) * 1000
        print("[voice] barge-in: agent audio stopped \(String(format: "%.1f", stopMilliseconds)) ms after the caller's first spoken frame (\(tail.count) frames)")
        let before = received[..<stopped].filter { $0.isAudio && $0.at <= onset }.count
        XCTAssertGreaterThan(before, 20, "the greeting was playing when the caller spoke")
        XCTAssertLessThan(stopMilliseconds, 100, "agent audio went on \(stopMilliseconds) ms after the caller started speaking")

        let greeting = try XCTUnwrap(call.events.first { $0["type"] as? String == "agent" }?["text"] as? String)
        let record = try XCTUnwrap(persistence.sessions(tenant: "demo", caller: "+15550001111").last)
        let firstAgentLine = record.transcript.first { $0.role == "agent" }?.text ?? ""
        print("[voice] barge-in: \(before) greeting frames played; heard '\(firstAgentLine)' of '\(greeting)'")
        XCTAssertNotEqual(firstAgentLine, greeting, "the record keeps what was heard, not the whole greeting")
        XCTAssertTrue(greeting.hasPrefix(firstAgentLine) || firstAgentLine.isEmpty || record.transcript.first?.role == "user",
                      "heard '\(firstAgentLine)' of '\(greeting)'")
        XCTAssertTrue(record.transcript.contains { $0.role == "user" && $0.text.contains("bill") }, "\(record.transcript.map(\.text))")
    }

    /// Garbage bytes, an odd-sized frame and a refused sample rate do not break the call: each gets
    /// an answer or is ignored, the session goes on, and a hang-up mid-utterance still ends with
    /// the session (and the words heard so far) persisted.
    func testGarbageAudioAWrongRateAndAHangUpMidUtteranceEndCleanlyWithTheSessionPersisted() async throws {
        let caller = VoiceTestCaller.self
        let call = try VoiceTestCaller(url: voiceURL + "caller-garbage")
        call.socket.send(text: #"{"type":"start","sample_rate":44100,"encoding":"pcm16"}"#)
        _ = try await call.wait(seconds: 5) { $0.compactMap(\.json).contains { $0["type"] as? String == "error" } }
        XCTAssertTrue(call.events.contains { $0["code"] as? String == "bad_start" }, "\(call.events)")
        var noise = SystemRandomNumberGenerator()
        let garbage = (0..<25).map { _ in (0..<641).map { _ in UInt8.random(in: 0...255, using: &noise) } }
        try await call.stream(garbage + [[0x01]] + caller.pcmFrames(caller.silence(milliseconds: 1_000)))
        let speech = try await caller.speech("I need a refund for order one two three four five.")
        // Hang up two thirds of the way through the sentence.
        try await call.stream(caller.pcmFrames(caller.silence(milliseconds: 300) + Array(speech.prefix(speech.count * 2 / 3))))
        call.close()
        let persisted = try await waitForRecord(tenant: "demo", caller: "caller-garbage")
        let record = try XCTUnwrap(persisted, "the session was persisted after the hang-up")
        XCTAssertEqual(record.outcome, "caller_hangup")
        XCTAssertTrue(record.transcript.contains { $0.role == "user" && $0.text.contains("refund") },
                      "the words spoken before the hang-up were recognised and kept: \(record.transcript.map(\.text))")
    }

    func waitForRecord(tenant: String, caller: String, seconds: Double = 15) async throws -> CompletedSession? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let record = persistence.sessions(tenant: tenant, caller: caller).last { return record }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// The first 20 ms frame whose level is clearly speech (flite's output starts with near-silence).
    func firstSpokenFrame(_ speech: [Int16]) -> Int {
        let frames = stride(from: 0, to: speech.count, by: 320).map { speech[$0..<min(speech.count, $0 + 320)] }
        let onset = frames.firstIndex { frame in
            let energy = frame.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(frame.count)
            return energy.squareRoot() > 500
        } ?? 0
        return onset
    }
}

/// Closed prompts: after the Refund Agent asks for the order number, the caller's digits are
/// decoded with the order-id grammar (counted under its search name in /metrics) and the refund
/// goes on with the right order.
final class VoiceClosedPromptTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    func testTheOrderNumberAnswerIsDecodedWithTheOrderIdGrammar() async throws {
        let caller = VoiceTestCaller.self
        let call = try VoiceTestCaller(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/caller-grammar")
        func turnEnds(_ received: [VoiceTestCaller.Received]) -> Int {
            received.compactMap(\.json).filter { $0["type"] as? String == "turn_end" }.count
        }
        try await call.stream(caller.pcmFrames(caller.silence(milliseconds: 300) + (try await caller.speech("I need a refund please.")) + caller.silence(milliseconds: 1_000)))
        _ = try await call.wait { turnEnds($0) >= 1 }
        let question = call.events.last { $0["type"] as? String == "agent" }?["text"] as? String ?? ""
        XCTAssertTrue(question.lowercased().contains("order number"), "the Refund Agent asks for the order: \(question)")
        // Wait for the question's audio to finish, then answer with the digits.
        _ = try await call.wait(seconds: 15) { received in
            guard let last = received.last(where: \.isAudio) else { return false }
            return ContinuousClock.now - last.at > .milliseconds(300)
        }
        try await call.stream(caller.pcmFrames(caller.silence(milliseconds: 300) + (try await caller.speech("one two three four five")) + caller.silence(milliseconds: 1_000)))
        _ = try await call.wait { turnEnds($0) >= 2 }
        let answers = call.events.filter { $0["type"] as? String == "user" && $0["final"] as? Bool == true }.compactMap { $0["text"] as? String }
        XCTAssertEqual(answers.last, "one two three four five", "\(answers)")
        let lookup = call.events.first { $0["type"] as? String == "tool_call" && $0["tool"] as? String == "lookup_order" }
        XCTAssertEqual((lookup?["arguments"] as? [String: Any])?["order_id"] as? String, "ORD-12345", "\(call.events)")
        let metrics = try await request("GET", "/metrics")
        XCTAssertTrue(metrics.body.contains(#"agent_host_voice_utterances_total{search="orderid"} 1"#), metrics.body.split(separator: "\n").filter { $0.contains("utterances") }.joined(separator: "\n"))
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
    }
}
