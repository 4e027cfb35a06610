@testable import HostSpeech
import XCTest

/// The same audio gets the same recognition, whatever else the recogniser heard before
/// (docs/benchmarks.md, "Semantic turn detection": the runs of `voice turns` used to differ on
/// byte-identical audio). Real pocketsphinx on real flite speech.
final class RecognitionDeterminismTests: XCTestCase {
    /// The overlap judge is one decoder shared by all of a recogniser's calls. pocketsphinx adapts
    /// its cepstral mean to what it hears, so without a reset one call's second opinion depended
    /// on what other calls had said before it.
    func testTheJudgeHearsTheSameAudioTheSameWhateverItHeardBefore() async throws {
        let warmUp = try await SpeechFixtures.speech("I need a refund for my order. What is your shipping policy")
        let recognizer = try await PocketSphinxRecognizer.make(languageModel: try await SpeechFixtures.domainModel.value,
                                                               warmUpAudio: warmUp, secondOpinions: true)
        let judge = try XCTUnwrap(recognizer.overlapJudge)
        let meanAtStart = judge.currentMean
        XCTAssertFalse(meanAtStart.isEmpty, "the decoder exposes its live cepstral mean")

        let backchannel = try await SpeechFixtures.speech("uh huh okay")
        let first = judge.decode(backchannel[...])
        XCTAssertEqual(judge.currentMean, meanAtStart, "a decode leaves the judge's mean where it was")

        // Other calls: speech on a very different channel (quiet, then loud and clipped) moves a
        // live mean far from where it was.
        let other = try await SpeechFixtures.speech("I was charged twice for my last order and I want my money back")
        for gain in [0.05, 0.05, 6.0, 6.0] {
            let scaled = other.map { Int16(clamping: Int((Double($0) * gain).rounded())) }
            _ = judge.decode(scaled[...])
        }
        XCTAssertEqual(judge.currentMean, meanAtStart, "other calls' audio left nothing behind")
        XCTAssertEqual(judge.decode(backchannel[...]), first, "the same audio, the same second opinion")
    }

    /// The mean is not all the front end carries: it also estimates the noise level from
    /// everything it hears (spectral subtraction), so a reading depended on the decode before it —
    /// in `agent-host-bench voice turns` espeak-ng's "uh huh okay" was read "i want on a to you"
    /// once and "stop to you" (a request) once its pause had been read first. Each decode now starts
    /// the front end's stream afresh. espeak-ng's backchannels, each read fresh, then after its
    /// own first half and after loud and quiet speech.
    func testTheJudgeReadingDoesNotDependOnTheDecodeBeforeIt() async throws {
        let warmUp = try await SpeechFixtures.speech("I need a refund for my order. What is your shipping policy")
        let recognizer = try await PocketSphinxRecognizer.make(languageModel: try await SpeechFixtures.domainModel.value,
                                                               warmUpAudio: warmUp, secondOpinions: true)
        let judge = try XCTUnwrap(recognizer.overlapJudge)
        let other = try await SpeechFixtures.speech("I was charged twice for my last order and I want my money back")
        var differing: [String] = []
        for text in ["uh huh okay", "uh huh", "mm hmm", "okay", "okay yeah", "hold on"] {
            let audio = try await EspeakSynthesizer(voice: "en-us", outputSampleRate: 16_000).synthesizeAll(text: text).samples
            let fresh = judge.decode(audio[...])
            var readings = [fresh]
            _ = judge.decode(audio.prefix(audio.count / 2))
            readings.append(judge.decode(audio[...]))
            for gain in [0.05, 6.0] {
                _ = judge.decode(other.map { Int16(clamping: Int((Double($0) * gain).rounded())) }[...])
                readings.append(judge.decode(audio[...]))
            }
            print("[speech] judge readings of espeak-ng \"\(text)\": \(readings)")
            if Set(readings).count > 1 { differing.append("\(text): \(readings)") }
        }
        XCTAssertEqual(differing, [], "the same audio, the same second opinion, whatever was decoded before")
    }
}
