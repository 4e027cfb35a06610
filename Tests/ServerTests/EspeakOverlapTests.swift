import Foundation
import HostSpeech
import XCTest

/// espeak-ng's backchannels and short requests over the agent (docs/voice.md, "Interruptions that
/// are meant"), said over the greeting through the real pipeline over WS /ws/voice (VAD,
/// `SemanticTurnDetector`, pocketsphinx with the overlap grammar, `PlaybackOverlap`). The overlap
/// grammar reads "stop" into espeak-ng's "uh huh" and "uh huh okay", which have no /s/: the judge
/// abstains there (`OverlapJudge.secondOpinion`) and they do not stop the agent. The requests,
/// "wait", "excuse me" (an /s/), "hold on", still do.
final class EspeakOverlapTests: SemanticVoiceTestCase {
    static let backchannels = ["uh huh okay", "uh huh"]
    static let requests = ["wait", "excuse me", "hold on"]
    /// espeak-ng `en-us` audio of every text, rendered once in this order: espeak-ng renders the
    /// same text differently after other text (its own state), so each test takes it from here.
    static let audio = Task { () throws -> [String: [Int16]] in
        var audio: [String: [Int16]] = [:]
        for text in backchannels + requests {
            audio[text] = try await EspeakSynthesizer(voice: "en-us", outputSampleRate: 16_000).synthesizeAll(text: text).samples
        }
        return audio
    }

    func testEspeakBackchannelsOverTheAgentDoNotStopIt() async throws {
        var stopped: [String] = []
        for (index, text) in Self.backchannels.enumerated() {
            let events = try await overTheGreeting(text, caller: "%2B155500077\(index + 10)")
            if events.interrupted || events.turns > 0 { stopped.append(text) }
        }
        XCTAssertEqual(stopped, [], "backchannels that stopped the agent or became a turn")
    }

    func testEspeakRequestsOverTheAgentStillStopIt() async throws {
        var missed: [String] = []
        for (index, text) in Self.requests.enumerated() {
            let events = try await overTheGreeting(text, caller: "%2B1555000780\(index)")
            if !events.interrupted { missed.append(text) }
        }
        XCTAssertEqual(missed, [], "requests over the agent that did not stop it")
    }

    /// `text` said by espeak-ng's `en-us` 200 ms into the agent's greeting, then 3 s of silence.
    private func overTheGreeting(_ text: String, caller: String) async throws -> (interrupted: Bool, turns: Int) {
        let audio = try await Self.audio.value
        let speech = try XCTUnwrap(audio[text])
        let call = try VoiceTestCaller(url: voiceURL + caller)
        call.socket.send(text: #"{"type":"start","sample_rate":16000,"encoding":"pcm16","greet":true}"#)
        let greeting = try await call.wait(seconds: 10) { $0.contains(where: \.isAudio) }
        XCTAssertTrue(greeting, "the agent greets first: \(call.eventTypes)")
        try await call.stream(Caller.pcmFrames(Caller.silence(milliseconds: 200) + speech + Caller.silence(milliseconds: 3_000)))
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        let turns = call.events.filter { $0["type"] as? String == "user" && $0["final"] as? Bool == true }.compactMap { $0["text"] as? String }
        let interrupted = call.eventTypes.contains("interrupted")
        print("[voice] \"\(text)\" over the greeting: interrupted \(interrupted), turns \(turns), events \(call.eventTypes)")
        XCTAssertTrue(call.eventTypes.contains("speech_started"), "\(text): the caller was heard at all: \(call.eventTypes)")
        return (interrupted, turns.count)
    }
}
