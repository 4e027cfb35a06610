import XCTest
@testable import HostSpeech

/// The overlap grammar compiles to what it says (docs/voice.md, "The second opinion"): its
/// readings are backchannels only, or an opening followed by words — never backchannels followed
/// by an opening. pocketsphinx compiles a repeat at the start of an alternative as a loop back to
/// the rule's start, which once let "i see okay" be read as "i see okay i need …" and stop the
/// agent. Real pocketsphinx on real flite speech.
final class OverlapGrammarShapeTests: XCTestCase {
    func testBackchannelsAreNeverFollowedByAnOpening() async throws {
        let recognizer = try await PocketSphinxRecognizer.make(languageModel: try await SpeechFixtures.domainModel.value, secondOpinions: true)
        let judge = try XCTUnwrap(recognizer.overlapJudge)
        let backchannels = Backchannels(), openings = (Backchannels.interruptions + Backchannels.requestOpenings).map { $0.split(separator: " ").map(String.init) }
        // Backchannels followed by a request: the grammar must pick one shape for the whole.
        for text in ["okay I need a refund", "I see okay I want my money back", "right okay can you help me", "yeah I have a question"] {
            let heard = judge.decode(try await SpeechFixtures.speech(text)[...])
            let words = SpokenText.words(heard)
            // Backchannels only, however many (isBackchannel caps a caller's utterance at six words).
            var rest = words[...]
            while let phrase = backchannels.phrases.first(where: { rest.starts(with: $0) }) { rest = rest.dropFirst(phrase.count) }
            let isBackchannels = rest.isEmpty
            let opens = openings.contains { words.starts(with: $0) }
            print("[speech] overlap grammar: \"\(text)\" -> \"\(heard)\"")
            XCTAssertTrue(heard.isEmpty || isBackchannels || opens, "\"\(text)\" read as \"\(heard)\": backchannels then something else")
        }
    }
}
