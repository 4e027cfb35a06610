import Foundation
import HostSpeech
import TestSupport
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
    /// espeak-ng `en-us` audio of every text, each rendered by a fresh process (`FreshSpeech`):
    /// the same samples whatever this process synthesised before.
    static let audio = Task { () throws -> [String: [Int16]] in
        var audio: [String: [Int16]] = [:]
        for text in backchannels + requests { audio[text] = try FreshSpeech.samples(text, voice: "en-us") }
        return audio
    }

    func testEspeakBackchannelsOverTheAgentDoNotStopIt() async throws {
        var stopped: [String] = []
        let audio = try await Self.audio.value
        for (index, text) in Self.backchannels.enumerated() {
            let events = try await overTheGreeting(try XCTUnwrap(audio[text]), said: text, caller: "%2B155500077\(index + 10)")
            if events.interrupted || !events.turns.isEmpty { stopped.append(text) }
        }
        XCTAssertEqual(stopped, [], "backchannels that stopped the agent or became a turn")
    }

    func testEspeakRequestsOverTheAgentStillStopIt() async throws {
        var missed: [String] = []
        let audio = try await Self.audio.value
        for (index, text) in Self.requests.enumerated() {
            let events = try await overTheGreeting(try XCTUnwrap(audio[text]), said: text, caller: "%2B1555000780\(index)")
            if !events.interrupted { missed.append(text) }
        }
        XCTAssertEqual(missed, [], "requests over the agent that did not stop it")
    }
}
