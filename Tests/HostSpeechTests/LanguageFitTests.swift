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
        let plain = TurnCompletionModel.train(completeExamples: SupportPhrases.all)
        // Word salad ending on a content word: the model alone calls some of these complete.
        for hypothesis in ["what i'm where is full hi", "why was i'd billed twice", "please can sell", "order routes to please six find"] {
            XCTAssertFalse(model.isComplete(hypothesis), "\(hypothesis): fit \(model.languageFit?.meanLogProbability(SpokenText.words(hypothesis)) ?? 0)")
        }
        XCTAssertTrue(["what i'm where is full hi", "why was i'd billed twice"].contains { plain.isComplete($0) },
                      "without the fit, misheard audio was judged complete (what this guards against)")
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
