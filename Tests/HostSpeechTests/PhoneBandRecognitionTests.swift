import Foundation
import HostAudio
import HostSpeech
import XCTest

/// A phone line's audio (8 kHz G.711, resampled to 16 kHz) on a recognizer whose warm decoders
/// adapted on wideband speech: a narrowband session must not start from that adaptation
/// (the SIP call that heard "I need a refund" as "one").
final class PhoneBandRecognitionTests: XCTestCase {
    /// `samples` (16 kHz) as a phone line carries them: 8 kHz mu-law, decoded and back at 16 kHz.
    private func overPhoneLine(_ samples: [Int16]) throws -> [Int16] {
        let down = try Resampler(inputRate: 16_000, outputRate: 8_000)
        let line = MuLaw.decode(MuLaw.encode((down.process(samples) + down.flush())[...]))
        let up = try Resampler(inputRate: 8_000, outputRate: 16_000)
        return up.process(line) + up.flush()
    }

    func testANarrowbandSessionOnAWarmRecognizerHearsAPhoneCallersFirstUtterance() async throws {
        let model = try await SpeechFixtures.domainModel.value
        // What VoiceServices warms decoders on: phrases spoken by flite at 16 kHz.
        let warmUp = try await SpeechFixtures.flite.synthesizeAll(text: "I want to check my bill. Where is my order. I would like to speak to someone").samples
        let recognizer = try await PocketSphinxRecognizer.make(languageModel: model, warmDecoders: 1, warmUpAudio: warmUp)
        recognizer.waitForWarmPool()
        XCTAssertEqual(recognizer.warmPool?.ready, 1)

        for text in ["I need a refund.", "I would like a refund for my order.", "I want to check my bill."] {
            let phone = try overPhoneLine(try await SpeechFixtures.speech(text))
            let heard = try await recognize(phone, with: recognizer.makeSession(band: .narrowband, onPartial: nil))
            let expected = text.lowercased().filter { $0.isLetter || $0 == " " }
            XCTAssertTrue(heard.text.contains(expected.split(separator: " ").last.map(String.init) ?? expected),
                          "a phone caller's first utterance: '\(text)' heard as '\(heard.text)'")
            XCTAssertEqual(recognizer.warmPool?.ready, 1, "a narrowband session leaves the wideband-warmed decoders alone")
        }
        // A wideband caller still takes a warm decoder and is heard.
        let wide = try await recognize(try await SpeechFixtures.speech("I need a refund."),
                                       with: recognizer.makeSession(band: .wideband, onPartial: nil))
        XCTAssertEqual(wide.text, "i need a refund")
        XCTAssertEqual(AudioBand(sampleRate: 8_000), .narrowband)
        XCTAssertEqual(AudioBand(sampleRate: 16_000), .wideband)
    }

    /// Phone calls get warm decoders of their own, adapted on the tenant's phrases as a phone line
    /// carries them: each phone caller's first utterance is heard on a decoder that was ready
    /// (no creation, no replay) and heard right.
    func testPhoneCallsTakeDecodersWarmedOnPhoneAudio() async throws {
        let model = try await SpeechFixtures.domainModel.value
        let warmUp = try await SpeechFixtures.flite.synthesizeAll(text: "I want to check my bill. Where is my order. I would like to speak to someone").samples
        let recognizer = try await PocketSphinxRecognizer.make(languageModel: model, warmDecoders: 1, phoneWarmDecoders: 1, warmUpAudio: warmUp)
        for text in ["I need a refund.", "I would like a refund for my order.", "I want to check my bill.", "Where is my order?"] {
            recognizer.waitForWarmPool()
            XCTAssertEqual(recognizer.phoneWarmPool?.ready, 1, "a phone-warmed decoder is ready")
            let phone = try overPhoneLine(try await SpeechFixtures.speech(text))
            let heard = try await recognize(phone, with: recognizer.makeSession(band: .narrowband, onPartial: nil))
            // "i'd" and "i would" are one reading (the language model has both).
            XCTAssertEqual(heard.text.replacingOccurrences(of: "i'd", with: "i would"), text.lowercased().filter { $0.isLetter || $0 == " " },
                           "a phone caller's first utterance on a phone-warmed decoder")
        }
        XCTAssertEqual(recognizer.phoneWarmPool?.misses, 0, "every phone call found a warm decoder")
        XCTAssertEqual(recognizer.warmPool?.ready, 1, "the wideband pool was not touched")
        XCTAssertNotNil(recognizer.phoneWarmPool?.bytesPerDecoder, "its memory is measured")
    }
}
