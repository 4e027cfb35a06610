import HostAudio
@testable import HostSpeech
import TestSupport
import XCTest

/// What the overlap judge makes of audio said over the agent that has no voice — a breath — and of
/// short interruptions that have (docs/voice.md, "Interruptions that are meant"). Real
/// pocketsphinx on real synthesised audio; the breath is made as `agent-host-bench voice turns`
/// makes its own (quiet noise swelling and fading over 450 ms).
final class UnvoicedOverlapTests: XCTestCase {
    static let recognizer = Task { () throws -> PocketSphinxRecognizer in
        try await PocketSphinxRecognizer.make(languageModel: try await SpeechFixtures.domainModel.value, secondOpinions: true)
    }

    /// 450 ms of quiet noise swelling and fading (the benchmark's "breath").
    static func breath() -> [Int16] {
        var seed: UInt64 = 0x1234_5678_9ABC_DEF0
        let count = 16 * 450
        return (0..<count).map { i in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Double(Int64(bitPattern: seed) >> 11) / Double(1 << 52)
            return Int16(noise * 1_500 * sin(Double.pi * Double(i) / Double(count)))
        }
    }

    /// espeak-ng audio rendered by a fresh process (`FreshSpeech`): the same samples whatever this
    /// process synthesised before.
    static func espeak(_ text: String, voice: String = "en-us") throws -> [Int16] {
        try FreshSpeech.samples(text, voice: voice)
    }

    func judged(_ audio: [Int16]) async throws -> Transcript {
        let session = try await Self.recognizer.value.makeSession(onPartial: nil)
        defer { session.close() }
        session.judgeOverAgent()
        return try await recognize(audio, with: session)
    }

    /// A breath has no voiced hop; speech has its vowels.
    func testABreathHasNoVoiceAndSpeechHas() async throws {
        XCTAssertEqual(Voicing.voicedMilliseconds(Self.breath()[...]), 0)
        let okay = try await SpeechFixtures.speech("okay")
        XCTAssertGreaterThanOrEqual(Voicing.voicedMilliseconds(okay[...]), 100, "flite's \"okay\"")
        let stop = try Self.espeak("stop")
        XCTAssertGreaterThanOrEqual(Voicing.voicedMilliseconds(stop[...]), 60, "espeak-ng's \"stop\"")
    }

    /// The breath is heard as nothing by the judge, so it does not stop the agent whatever the
    /// language model made of it.
    func testABreathOverTheAgentIsNoRequest() async throws {
        let transcript = try await judged(Self.breath())
        print("[speech] breath over the agent: \"\(transcript.text)\" / second opinion \"\(transcript.secondOpinion ?? "-")\"")
        XCTAssertEqual(transcript.secondOpinion, "")
        XCTAssertFalse(Backchannels().isRequest(transcript.text, secondOpinion: transcript.secondOpinion))
    }

    /// Short real interruptions have voice enough: the judge still reads them and they stop the agent.
    func testInterruptionsStillStop() async throws {
        for text in ["wait", "no stop", "hold on", "excuse me"] {
            let transcript = try await judged(try Self.espeak(text))
            print("[speech] \"\(text)\" over the agent: \"\(transcript.text)\" / second opinion \"\(transcript.secondOpinion ?? "-")\"")
            XCTAssertTrue(Backchannels().isRequest(transcript.text, secondOpinion: transcript.secondOpinion), text)
        }
    }

    /// espeak-ng's "uh huh" has no hiss, yet the grammar reads it "no stop": the judge abstains
    /// (no second opinion) and the language model's words decide, which are no request. The
    /// interruptions said with an /s/ have 80 ms of hiss or more, in both engines' voices, and
    /// keep the grammar's reading, whatever it is (docs/voice.md, "An /s/ the audio does not have").
    func testTheJudgeAbstainsOnAStopWithoutHiss() async throws {
        let uhHuh = try Self.espeak("uh huh")
        let reading = try await Self.recognizer.value.overlapJudge?.decode(uhHuh[...]) ?? ""
        print("[speech] espeak-ng \"uh huh\": grammar \"\(reading)\", hiss \(Voicing.sibilantMilliseconds(uhHuh[...])) ms")
        XCTAssertTrue(SpokenText.words(reading).contains("stop"), "the grammar reads an /s/ into it: \(reading)")
        XCTAssertEqual(Voicing.sibilantMilliseconds(uhHuh[...]), 0)
        let transcript = try await judged(uhHuh)
        print("[speech] espeak-ng \"uh huh\" over the agent: \"\(transcript.text)\" / second opinion \"\(transcript.secondOpinion ?? "-")\"")
        XCTAssertNil(transcript.secondOpinion, "an unheard /s/: the judge abstains")
        XCTAssertFalse(Backchannels().isRequest(transcript.text, secondOpinion: transcript.secondOpinion), "\(transcript)")

        let recognizer = try await Self.recognizer.value
        let judge = try XCTUnwrap(recognizer.overlapJudge)
        for text in ["no stop", "stop please", "no no stop", "sorry can you repeat that", "excuse me"] {
            for (voice, audio) in [("en-us", try Self.espeak(text)), ("slt", try await SpeechFixtures.speech(text))] {
                let hiss = Voicing.sibilantMilliseconds(audio[...])
                print("[speech] \(voice) \"\(text)\": hiss \(hiss) ms, second opinion \"\(judge.secondOpinion(audio[...]) ?? "-")\"")
                XCTAssertGreaterThanOrEqual(hiss, 80, "\(voice) \"\(text)\"")
                XCTAssertEqual(judge.secondOpinion(audio[...]), judge.decode(audio[...]), "\(voice) \"\(text)\": the reading is kept")
            }
        }
    }
}
