import XCTest
@testable import HostAudio

/// The semantic detector as a value: speech probabilities in (1 = speech, 0 = silence, 20 ms
/// frames), questions and events out, verdicts fed back. No sockets, no engines.
final class SemanticTurnDetectorTests: XCTestCase {
    private let frame = [Int16](repeating: 0, count: 320)

    private func feed(_ detector: inout SemanticTurnDetector, speech: Bool, frames: Int) -> [SemanticTurnDetector.Output] {
        (0..<frames).compactMap { _ in detector.process(frame, speechProbability: speech ? 1 : 0) }
    }

    private func stops(_ outputs: [SemanticTurnDetector.Output]) -> [Int] {
        outputs.compactMap { if case .event(.speechStopped(let at, _)) = $0 { at } else { nil } }
    }

    private func questions(_ outputs: [SemanticTurnDetector.Output]) -> [Int] {
        outputs.compactMap { if case .judge(let id) = $0 { id } else { nil } }
    }

    /// 1 s of speech, then silence: asked once at 250 ms of silence; "complete" ends the turn right then.
    func testACompleteVerdictEndsTheTurnAtTheMinimumSilence() {
        var detector = SemanticTurnDetector()
        let speech = feed(&detector, speech: true, frames: 50)
        XCTAssertTrue(speech.contains(.event(.speechStarted(atMilliseconds: 0))), "\(speech)")
        let pause = feed(&detector, speech: false, frames: 13)  // 260 ms
        XCTAssertEqual(questions(pause).count, 1, "\(pause)")
        XCTAssertEqual(stops(pause), [])
        let event = detector.judged(id: questions(pause)[0], complete: true)
        guard case .speechStopped(let at, _)? = event else { return XCTFail("no stop: \(String(describing: event))") }
        XCTAssertEqual(at, 1_260)
        XCTAssertFalse(detector.isSpeaking)
    }

    /// "Incomplete" leaves the turn open until the maximum silence (1200 ms).
    func testAnIncompleteVerdictWaitsForTheMaximumSilence() {
        var detector = SemanticTurnDetector()
        _ = feed(&detector, speech: true, frames: 50)
        let pause = feed(&detector, speech: false, frames: 13)
        XCTAssertNil(detector.judged(id: questions(pause)[0], complete: false))
        let rest = feed(&detector, speech: false, frames: 60)
        XCTAssertEqual(stops(rest), [1_000 + 1_200], "\(rest)")
        XCTAssertEqual(questions(rest), [], "asked once per pause")
    }

    /// A pause inside a number: asked, the caller goes on before the verdict comes back; the late
    /// "complete" verdict is stale and cuts nothing. The next pause gets its own question.
    func testAVerdictArrivingAfterSpeechResumedIsStale() {
        var detector = SemanticTurnDetector()
        _ = feed(&detector, speech: true, frames: 50)
        let first = questions(feed(&detector, speech: false, frames: 13))
        _ = feed(&detector, speech: true, frames: 20)
        XCTAssertNil(detector.judged(id: first[0], complete: true))
        XCTAssertTrue(detector.isSpeaking)
        let second = questions(feed(&detector, speech: false, frames: 13))
        XCTAssertEqual(second.count, 1)
        XCTAssertNotEqual(second[0], first[0])
        XCTAssertNotNil(detector.judged(id: second[0], complete: true))
    }

    /// Short gaps between words (under the minimum) ask nothing.
    func testGapsShorterThanTheMinimumAskNothing() {
        var detector = SemanticTurnDetector()
        var outputs: [SemanticTurnDetector.Output] = []
        for _ in 0..<5 {
            outputs += feed(&detector, speech: true, frames: 15)
            outputs += feed(&detector, speech: false, frames: 10)  // 200 ms
        }
        XCTAssertEqual(questions(outputs), [])
        XCTAssertEqual(stops(outputs), [])
    }

    /// min == max (how a server-VAD call uses it): never asks, stops at the window like TurnDetector.
    func testEqualSilencesBehaveLikeTheServerVAD() {
        var detector = SemanticTurnDetector(semantic: SemanticTurnSettings(minimumSilenceMilliseconds: 800, maximumSilenceMilliseconds: 800))
        _ = feed(&detector, speech: true, frames: 50)
        let pause = feed(&detector, speech: false, frames: 45)
        XCTAssertEqual(questions(pause), [])
        XCTAssertEqual(stops(pause), [1_800])
    }
}
