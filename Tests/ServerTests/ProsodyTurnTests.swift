import Foundation
import HostSpeech
import XCTest

/// The voice at a pause (docs/voice.md): words that are a whole request said mid-sentence, with the
/// silence cut in at the word's end (flite's own word timings: the sentence keeps its intonation),
/// through the real pipeline over WS /ws/voice — VAD, `SemanticTurnDetector`, pocketsphinx, the
/// tenant's completeness model and `TurnProsody` on the recogniser's queue.
final class ProsodyTurnTests: SemanticVoiceTestCase {
    static let sentence = "I need to change the address on my order"
    static let pauseAfterWords = 6  // "... the address" | "on my order"

    /// Mid-sentence: the words before the pause are a request the model calls complete, but the
    /// pitch is held, so the turn waits and the caller's whole sentence is one turn.
    func testAPauseMidSentenceAfterWordsThatEndARequestDoesNotEndTheTurn() async throws {
        let audio = try Self.said(Self.sentence, voice: "slt", pausingAfterWords: Self.pauseAfterWords)
        let heard = try await finalTranscripts(audio, caller: "%2B15550006661")
        print("[voice] mid-sentence pause heard as: \(heard)")
        XCTAssertEqual(heard.count, 1, "one turn, not cut at the pause after \"address\": \(heard)")
        XCTAssertTrue(heard.first?.hasSuffix("my order") ?? false, "\(heard)")
    }

    /// The same words said as a finished sentence end the turn at the minimum silence: the voice
    /// falls, so the rule does not hold a caller who is done.
    func testTheSameWordsSaidAsAFinishedSentenceEndTheTurnAtTheMinimumSilence() async throws {
        let words = Self.sentence.split(separator: " ").prefix(Self.pauseAfterWords).joined(separator: " ")
        let speech = try await Caller.speech(words + ".")
        let call = try VoiceTestCaller(url: voiceURL + "%2B15550006662")
        try await call.stream(Caller.pcmFrames(Caller.silence(milliseconds: 300) + speech + Caller.silence(milliseconds: 2_000)))
        _ = try await call.wait { _ in !self.turnEnds(call).isEmpty }
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        let latency = try XCTUnwrap(turnEnds(call).first?["latency_ms"] as? [String: Double], "\(call.eventTypes)")
        let decided = try XCTUnwrap(latency["turn_decided"])
        XCTAssertLessThan(decided, 700, "ended by its meaning and voice at the minimum silence, not the maximum: \(latency)")
    }

    /// espeak-ng `en-us`, "I want a refund because … it arrived broken" with 700 ms of silence cut
    /// in after "because": the words so far are a request the model calls complete ("i want a
    /// refund …"), and the voice fades there (as espeak-ng's words inside a sentence do) without
    /// falling. This voice moves its pitch, so only a fall says "finished" (`TurnProsody`): one
    /// turn. Before, the fade alone ended the turn at the pause (the benchmark's premature cut).
    func testAVoiceThatMovesItsPitchFadingMidSentenceWithoutFallingDoesNotEndTheTurn() async throws {
        // "... a refund because" | "it arrived broken"
        let audio = try Self.said("I want a refund because it arrived broken", voice: "en-us", pausingAfterWords: 5)
        let heard = try await finalTranscripts(audio, caller: "%2B15550006663")
        print("[voice] espeak-ng mid-sentence pause heard as: \(heard)")
        XCTAssertEqual(heard.count, 1, "one turn, not cut at the pause after \"because\": \(heard)")
        XCTAssertTrue(heard.first?.hasSuffix("broken") ?? false, "the whole sentence in the turn: \(heard)")
    }

    /// `text` in `voice`, with 700 ms of silence cut in after its first `words` words, 300 ms of
    /// silence before and 2 s after.
    private static func said(_ text: String, voice: String, pausingAfterWords words: Int) throws -> [Int16] {
        let speech = try WordTimedSynthesis.render(text, voice: voice)
        let cut = speech.wordEnds[words - 1]
        return Caller.silence(milliseconds: 300) + Array(speech.samples[..<cut]) + Caller.silence(milliseconds: 700)
            + Array(speech.samples[cut...]) + Caller.silence(milliseconds: 2_000)
    }

    private func finalTranscripts(_ audio: [Int16], caller: String) async throws -> [String] {
        let call = try VoiceTestCaller(url: voiceURL + caller)
        try await call.stream(Caller.pcmFrames(audio))
        _ = try await call.wait { _ in !self.turnEnds(call).isEmpty }
        try await call.wait(seconds: 1) { _ in false }
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        return call.events.filter { $0["type"] as? String == "user" && $0["final"] as? Bool == true }.compactMap { $0["text"] as? String }
    }
}
