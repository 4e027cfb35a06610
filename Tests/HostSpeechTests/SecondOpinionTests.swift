import HostSpeech
import XCTest

/// The overlap grammar's second opinion on speech said over the agent, with real pocketsphinx
/// decoding real (flite) speech: what the recogniser returns, and what the call then decides.
final class SecondOpinionTests: XCTestCase {
    static let recognizer = Task { () throws -> PocketSphinxRecognizer in
        try await PocketSphinxRecognizer.make(languageModel: try await SpeechFixtures.domainModel.value, secondOpinions: true)
    }

    /// An utterance the call marks as said over the agent carries the grammar's reading; one it
    /// does not mark carries none, and the mark ends with its utterance.
    func testOnlyAJudgedUtteranceCarriesASecondOpinion() async throws {
        let session = try await Self.recognizer.value.makeSession(onPartial: nil)
        defer { session.close() }
        let okay = try await SpeechFixtures.speech("okay yeah")

        let plain = try await recognize(okay, with: session)
        XCTAssertNil(plain.secondOpinion, "not said over the agent: \(plain)")

        session.judgeOverAgent()
        let judged = try await recognize(okay, with: session)
        print("[speech] over the agent: \"\(judged.text)\" / second opinion \"\(judged.secondOpinion ?? "-")\"")
        XCTAssertTrue(judged.secondOpinion?.hasPrefix("okay yeah") == true, "\(judged)")
        XCTAssertTrue(Backchannels().isBackchannel(judged.secondOpinion ?? ""), "only backchannels: \(judged)")
        XCTAssertFalse(Backchannels().isRequest(judged.text, secondOpinion: judged.secondOpinion))

        let after = try await recognize(okay, with: session)
        XCTAssertNil(after.secondOpinion, "the mark ended with the judged utterance")
    }

    /// Mid-utterance, the hypothesis and the second opinion of the audio so far come together.
    func testTheHearingMidUtteranceHasBoth() async throws {
        let session = try await Self.recognizer.value.makeSession(onPartial: nil)
        defer { session.close() }
        session.judgeOverAgent()
        session.accept(samples: [Int16](repeating: 0, count: 4_800) + (try await SpeechFixtures.speech("wait I have a question")))
        let (hypothesis, secondOpinion): (String?, String?) = await withCheckedContinuation { continuation in
            session.hearingOverAgent { continuation.resume(returning: ($0, $1)) }
        }
        print("[speech] mid-utterance: \"\(hypothesis ?? "-")\" / second opinion \"\(secondOpinion ?? "-")\"")
        XCTAssertNotNil(hypothesis)
        XCTAssertEqual(secondOpinion.map { SpokenText.words($0).first }, "wait")
        XCTAssertTrue(Backchannels().isRequest(hypothesis ?? "", secondOpinion: secondOpinion))
    }

    /// A recogniser made without second opinions (the stock baseline, cloud engines) gives none.
    func testARecognizerWithoutSecondOpinionsGivesNone() async throws {
        let session = try await SpeechFixtures.domainRecognizer.value.makeSession(onPartial: nil)
        defer { session.close() }
        session.judgeOverAgent()
        let transcript = try await recognize(try await SpeechFixtures.speech("okay"), with: session)
        XCTAssertNil(transcript.secondOpinion)
    }
}
