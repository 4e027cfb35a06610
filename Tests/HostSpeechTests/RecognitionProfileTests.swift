import Foundation
@testable import HostSpeech
import TestSupport
import XCTest

/// `RecognitionProfile`: each profile's options reach the engine (read back from a session's
/// decoder, not from the argument list), and flite speech is still heard as the right words.
final class RecognitionProfileTests: XCTestCase {
    func testEachProfilesSettingsReachTheSessionsDecoder() async throws {
        let model = try await SpeechFixtures.domainModel.value
        let expected: [RecognitionProfile: [String: Int]] = [
            .accurate: ["-fwdflat": 1, "-bestpath": 1, "-ds": 1, "-topn": 4, "-pl_window": 5],
            .fast: RecognitionProfile.fast.expectedEngineSettings,
        ]
        for profile in RecognitionProfile.allCases {
            let recognizer = try await PocketSphinxRecognizer.make(languageModel: model, options: profile.decoderOptions)
            let session = try XCTUnwrap(recognizer.makeSession(onPartial: nil) as? PocketSphinxSession)
            defer { session.close() }
            _ = try await session.ready()
            for (name, value) in try XCTUnwrap(expected[profile]) {
                let setting = await withCheckedContinuation { continuation in session.decoderSetting(name) { continuation.resume(returning: $0) } }
                XCTAssertEqual(setting, value, "\(profile.rawValue): \(name)")
            }
        }
    }

    /// `fast` on real flite speech: the key words of every held-out request, and a word error
    /// rate no worse than `accurate`'s by more than one word in a hundred.
    func testFastProfileStillHearsTheRightWords() async throws {
        let model = try await SpeechFixtures.domainModel.value
        var rates: [RecognitionProfile: Double] = [:]
        for profile in [RecognitionProfile.accurate, .fast] {
            let recognizer = try await PocketSphinxRecognizer.make(languageModel: model, options: profile.decoderOptions)
            let session = recognizer.makeSession(onPartial: nil)
            defer { session.close() }
            var total = WordErrorRate()
            var missing: [String] = []
            for utterance in SupportPhrases.testUtterances {
                let transcript = try await recognize(try await SpeechFixtures.speech(utterance.text), with: session)
                total = total + WordErrorRate(reference: utterance.text, hypothesis: transcript.text)
                let heard = Set(transcript.text.split(separator: " ").map(String.init))
                missing += utterance.keywords.filter { !heard.contains($0) }
            }
            print("[speech] profile \(profile.rawValue): WER \(format(total.rate * 100))% (\(total.errors) / \(total.referenceWords) words)")
            XCTAssertTrue(missing.isEmpty, "\(profile.rawValue): key words not recognised: \(missing)")
            rates[profile] = total.rate
        }
        XCTAssertLessThanOrEqual(try XCTUnwrap(rates[.fast]), try XCTUnwrap(rates[.accurate]) + 0.01)
    }
}

extension RecognitionProfile {
    /// The engine's values for this profile's options (booleans read back as 0 / 1).
    var expectedEngineSettings: [String: Int] {
        Dictionary(uniqueKeysWithValues: decoderOptions.map { key, value in
            (key, value == "no" ? 0 : value == "yes" ? 1 : Int(value) ?? -1)
        })
    }
}
