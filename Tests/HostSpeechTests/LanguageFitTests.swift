import XCTest
@testable import HostSpeech

/// The completeness model's second question (docs/voice.md, "Semantic turn detection"): does the
/// hypothesis fit the tenant's language, or is it misrecognised audio that happens to end on a
/// content word? Hypotheses below are what the recogniser made of espeak-ng speech at a pause in
/// the middle of a request (`agent-host-bench voice turns --list`), and requests heard right.
final class LanguageFitTests: XCTestCase {
    static let model = Task { () throws -> TurnCompletionModel in
        var model = TurnCompletionModel.train(completeExamples: SupportPhrases.all)
        model.languageFit = LanguageFit(model: try DomainLanguageModel.build(phrases: SupportPhrases.all))
        return model
    }

    func testMisheardAudioIsNotJudgedComplete() async throws {
        let model = try await Self.model.value
        let fit = try XCTUnwrap(model.languageFit)
        let plain = TurnCompletionModel.train(completeExamples: SupportPhrases.all)
        let misheard = ["what i'm where is full hi", "why was i'd billed twice", "please can sell", "order routes to please six find",
                        "my order is for find", "i need to to usually and routes", "the refund color orders you do"]
        var changed = 0
        for hypothesis in misheard {
            let words = SpokenText.words(hypothesis)
            XCTAssertFalse(fit.fits(words), "\(hypothesis): fit \(fit.meanLogProbability(words) ?? 0)")
            if plain.probability(hypothesis) < LanguageFit.confidentProbability {
                XCTAssertFalse(model.isComplete(hypothesis), "a doubtful verdict on misheard audio waits: \(hypothesis)")
                if plain.isComplete(hypothesis) { changed += 1 }
            } else {
                XCTAssertEqual(model.isComplete(hypothesis), plain.isComplete(hypothesis), "a sure verdict is not asked: \(hypothesis)")
            }
        }
        XCTAssertGreaterThan(changed, 0, "without the fit, some misheard audio was judged complete (what this guards against)")
    }

    func testRequestsHeardRightStillEndAtThePause() async throws {
        let model = try await Self.model.value
        for request in ["i need a refund for order one two three four five", "what is your shipping policy",
                        "i have a question about a charge on my account", "the package arrived damaged", "how long does shipping take"] {
            XCTAssertTrue(model.isComplete(request), "\(request): fit \(model.languageFit?.meanLogProbability(SpokenText.words(request)) ?? 0)")
        }
    }

    /// Which digit was said carries no fluency: an order number fits as well as another.
    func testDigitsAreScoredAsADigitNotAsWhichDigit() async throws {
        let model = try await Self.model.value
        let fit = try XCTUnwrap(model.languageFit)
        let a = try XCTUnwrap(fit.meanLogProbability(SpokenText.words("my order number is four five six seven eight")))
        let b = try XCTUnwrap(fit.meanLogProbability(SpokenText.words("my order number is nine nine one two zero")))
        XCTAssertEqual(a, b, accuracy: 0.35)
        XCTAssertGreaterThanOrEqual(a, fit.minimumMeanLogProbability)
        XCTAssertNil(fit.meanLogProbability([]))
    }
}
