import Foundation
import HostAudio
import HostSpeech
import TestSupport
import XCTest

final class RecognitionTests: XCTestCase {
    /// flite speech → pocketsphinx with the domain LM, one session for the whole "call".
    func testDomainModelRecognisesSupportRequests() async throws {
        let phrases = Set(SupportPhrases.all.map { SpokenText.words($0) })
        for utterance in SupportPhrases.testUtterances {
            XCTAssertFalse(phrases.contains(SpokenText.words(utterance.text)), "test sentence in training phrases: \(utterance.text)")
        }
        let recognizer = try await SpeechFixtures.domainRecognizer.value
        let session = recognizer.makeSession(onPartial: nil)
        defer { session.close() }
        let creation = try await session.ready()

        var total = WordErrorRate()
        var finalize: [Double] = []
        var firstFinalize: Double?
        var audio = 0.0, processing = 0.0
        var missingKeywords: [String] = []
        print("[speech] domain LM recognition of flite speech (cmu_us_slt, 16 kHz):")
        for utterance in SupportPhrases.testUtterances {
            let transcript = try await recognize(try await SpeechFixtures.speech(utterance.text), with: session)
            let wer = WordErrorRate(reference: utterance.text, hypothesis: transcript.text)
            total = total + wer
            if firstFinalize == nil { firstFinalize = transcript.finalizeSeconds } else { finalize.append(transcript.finalizeSeconds) }
            audio += transcript.audioSeconds
            processing += transcript.processingSeconds
            let heard = Set(transcript.text.split(separator: " ").map(String.init))
            missingKeywords += utterance.keywords.filter { !heard.contains($0) }
            XCTAssertEqual(transcript.search, RecognitionGrammar.languageModelSearch)
            print("  WER \(format(wer.rate * 100, 0).padding(toLength: 4, withPad: " ", startingAt: 0))% "
                  + "\"\(utterance.text)\" → \"\(transcript.text)\"")
        }
        print("[speech] overall WER \(format(total.rate * 100))% (\(total.errors) errors / \(total.referenceWords) words: "
              + "\(total.substitutions) sub, \(total.deletions) del, \(total.insertions) ins)")
        print("[speech] decoder creation \(format(creation * 1000)) ms (probe \(format(recognizer.probeCreationSeconds * 1000)) ms); "
              + "ps_end_utt+result \(format(finalize.min()! * 1000))-\(format(finalize.max()! * 1000)) ms "
              + "(median \(format(finalize.sorted()[finalize.count / 2] * 1000)) ms; first utterance, re-decoded for "
              + "adaptation: \(format(firstFinalize! * 1000)) ms); "
              + "CPU \(format(processing / audio, 3))x real time")
        XCTAssertLessThan(total.rate, 0.30)
        XCTAssertTrue(missingKeywords.isEmpty, "key words not recognised: \(missingKeywords)")
    }

    /// The telephone path: 16 kHz speech → 8 kHz μ-law (what a phone call carries) → back up to
    /// 16 kHz with HostAudio's resampler → the domain LM.
    func testTelephoneAudioUpsampledTo16kHz() async throws {
        let recognizer = try await SpeechFixtures.domainRecognizer.value
        let session = recognizer.makeSession()
        defer { session.close() }
        var total = WordErrorRate()
        for utterance in SupportPhrases.testUtterances {
            let wideband = try await SpeechFixtures.speech(utterance.text)
            let down = try Resampler(inputRate: 16_000, outputRate: 8_000)
            let phone = MuLaw.decode(MuLaw.encode(down.process(wideband) + down.flush()))
            let up = try Resampler(inputRate: 8_000, outputRate: 16_000)
            let transcript = try await recognize(up.process(phone) + up.flush(), with: session)
            let wer = WordErrorRate(reference: utterance.text, hypothesis: transcript.text)
            total = total + wer
            if wer.errors > 0 { print("  8 kHz μ-law: \"\(utterance.text)\" → \"\(transcript.text)\"") }
        }
        print("[speech] 8 kHz μ-law upsampled to 16 kHz: overall WER \(format(total.rate * 100))% "
              + "(\(total.errors) errors / \(total.referenceWords) words)")
        XCTAssertLessThan(total.rate, 0.35)
    }

    /// The stock en-us LM on the same audio, for comparison (reported, loosely bounded).
    func testStockModelBaseline() async throws {
        let recognizer = try await PocketSphinxRecognizer.makeStock()
        let session = recognizer.makeSession(onPartial: nil)
        defer { session.close() }
        let creation = try await session.ready()
        var total = WordErrorRate()
        for utterance in SupportPhrases.testUtterances {
            let transcript = try await recognize(try await SpeechFixtures.speech(utterance.text), with: session)
            total = total + WordErrorRate(reference: utterance.text, hypothesis: transcript.text)
        }
        print("[speech] stock en-us LM + full cmudict: WER \(format(total.rate * 100))% on the same audio; "
              + "decoder creation \(format(creation * 1000)) ms")
        XCTAssertLessThan(total.rate, 1.0)
    }

    func testGrammarsForClosedPrompts() async throws {
        let recognizer = try await SpeechFixtures.domainRecognizer.value
        let session = recognizer.makeSession(onPartial: nil)
        defer { session.close() }

        try session.useGrammar(.digits())
        let digits = try await recognize(try await SpeechFixtures.speech("one two three four five"), with: session)
        print("[speech] digits grammar: \"\(digits.text)\" (end_utt \(format(digits.finalizeSeconds * 1000)) ms)")
        XCTAssertEqual(digits.search, "digits")
        XCTAssertEqual(digits.text, "one two three four five")
        XCTAssertEqual(SpokenText.digits(in: digits.text), "12345")

        try session.useGrammar(.orderID())
        for (spoken, expected) in [("order five five one two zero", "55120"), ("o r d four seven two one eight", "47218"),
                                   ("my order number is three oh nine five two", "30952")] {
            let order = try await recognize(try await SpeechFixtures.speech(spoken), with: session)
            print("[speech] order id grammar: \"\(spoken)\" → \"\(order.text)\"")
            XCTAssertEqual(order.search, "orderid")
            XCTAssertEqual(SpokenText.digits(in: order.text), expected)
        }

        try session.useGrammar(.yesNo)
        for (spoken, yes) in [("yes please", true), ("no thanks", false), ("that's right", true), ("nope", false)] {
            let answer = try await recognize(try await SpeechFixtures.speech(spoken), with: session)
            print("[speech] yes/no grammar: \"\(spoken)\" → \"\(answer.text)\"")
            XCTAssertEqual(answer.text, spoken)
            XCTAssertEqual(["yes", "that's", "yeah", "yep", "sure"].contains { answer.text.hasPrefix($0) }, yes)
        }

        // Back to open recognition in the same session.
        session.useLanguageModel()
        let open = try await recognize(try await SpeechFixtures.speech("where is my package"), with: session)
        XCTAssertEqual(open.search, RecognitionGrammar.languageModelSearch)
        XCTAssertEqual(open.text, "where is my package")

        // Grammars the recognizer was not prepared with are refused on the caller's thread.
        XCTAssertThrowsError(try session.useGrammar(RecognitionGrammar(name: "colors", rule: "red | green | zorblax"))) { error in
            XCTAssertEqual(error as? SpeechError, .outOfVocabulary(["green", "red", "zorblax"]))
        }
        XCTAssertThrowsError(try session.useGrammar(RecognitionGrammar(name: "colors", rule: "red | green")))
    }

    func testGrammarSwitchMidUtteranceAppliesToTheNextOne() async throws {
        let recognizer = try await SpeechFixtures.domainRecognizer.value
        let session = recognizer.makeSession(onPartial: nil)
        defer { session.close() }
        let speech = try await SpeechFixtures.speech("where is my package")
        session.accept(samples: speech)
        try session.useGrammar(.digits())    // arrives mid-utterance
        let first = try await session.finish()
        XCTAssertEqual(first.search, RecognitionGrammar.languageModelSearch)
        XCTAssertEqual(first.text, "where is my package")
        let second = try await recognize(try await SpeechFixtures.speech("four two"), with: session)
        XCTAssertEqual(second.search, "digits")
        XCTAssertEqual(second.text, "four two")
    }

    func testPartialHypothesesAndWordTimings() async throws {
        let recognizer = try await SpeechFixtures.domainRecognizer.value
        let partials = LockedBox<[String]>([])
        let tracked = recognizer.makeSession { hypothesis in partials.mutate { $0.append(hypothesis) } }
        defer { tracked.close() }
        let speech = try await SpeechFixtures.speech("I need a refund for order one two three four five")
        let transcript = try await recognize(speech, with: tracked)
        let seen = partials.value.filter { !$0.isEmpty }
        print("[speech] partial hypotheses: \(seen)")
        XCTAssertGreaterThanOrEqual(seen.count, 2)
        XCTAssertTrue(seen.contains { $0.hasPrefix("i need") })
        XCTAssertEqual(transcript.words.map(\.word).joined(separator: " "), transcript.text)
        let words = transcript.words
        XCTAssertTrue(zip(words, words.dropFirst()).allSatisfy { $0.end <= $1.start + 0.011 })
        XCTAssertGreaterThan(words.first?.start ?? 0, 0.2, "leading silence is not a word")
        XCTAssertLessThan(words.last?.end ?? 99, transcript.audioSeconds)
        // A finished session can be finished again without audio: an empty transcript.
        let empty = try await tracked.finish()
        XCTAssertTrue(empty.isEmpty)
    }

    func testSessionsRunInParallelAndSurviveClose() async throws {
        let recognizer = try await SpeechFixtures.domainRecognizer.value
        let texts = ["how long does shipping take", "let me talk to a person", "what's my account balance"]
        // Synthesised one after another. flite's samples for a sentence depend slightly on what the
        // process rendered before (measured: other checksums when the order or the earlier tests
        // change), so the words recognised can differ by a word between runs; the test therefore
        // compares parallel decoding with each audio decoded alone, and bounds the error rate.
        var audio: [[Int16]] = []
        for text in texts { audio.append(try await SpeechFixtures.speech(text)) }
        let memoryBefore = residentMegabytes()
        let started = Date()
        let sessions = texts.map { _ in recognizer.makeSession(onPartial: nil) }
        var creations: [Double] = []
        for session in sessions { creations.append(try await session.ready()) }
        let memoryAfter = residentMegabytes()
        let transcripts = try await withThrowingTaskGroup(of: (Int, Transcript).self) { group in
            for index in texts.indices {
                let session = sessions[index], samples = audio[index]
                group.addTask { (index, try await recognize(samples, with: session)) }
            }
            var result = [String](repeating: "", count: texts.count)
            for try await (index, transcript) in group { result[index] = transcript.text }
            return result
        }
        print("[speech] \(texts.count) sessions in parallel: creation \(creations.map { format($0 * 1000) }) ms, "
              + "~\(format((memoryAfter - memoryBefore) / Double(texts.count))) MB resident per decoder, "
              + "all decoded in \(format(Date().timeIntervalSince(started), 2)) s")
        var alone: [String] = []
        for samples in audio {
            let session = recognizer.makeSession(onPartial: nil)
            alone.append(try await recognize(samples, with: session).text)
            session.close()
        }
        XCTAssertEqual(transcripts, alone, "decoding in parallel gives what each decoder gives alone")
        let errors = zip(texts, transcripts).map { WordErrorRate(reference: $0, hypothesis: $1) }.reduce(WordErrorRate(), +)
        XCTAssertLessThanOrEqual(errors.rate, 0.15, "\(transcripts) for \(texts)")
        // Closing: later calls fail cleanly, nothing crashes.
        sessions[0].close()
        do {
            _ = try await sessions[0].finish()
            XCTFail("expected sessionClosed")
        } catch {
            XCTAssertEqual(error, .sessionClosed)
        }
        sessions[0].accept(samples: audio[0])
        XCTAssertThrowsError(try sessions[0].useGrammar(.yesNo))
        sessions.dropFirst().forEach { $0.close() }
    }

    func testRecognizerSetupFailuresAreReported() async {
        let missing = PocketSphinxModel(acousticModelPath: "/nonexistent/en-us", dictionaryPath: PocketSphinxModel.standard.dictionaryPath,
                                        languageModelPath: PocketSphinxModel.standard.languageModelPath)
        do {
            _ = try await PocketSphinxRecognizer.makeStock(model: missing)
            XCTFail("expected a failure")
        } catch {
            guard case .decoderCreationFailed = error else { return XCTFail("\(error)") }
        }
        do {
            let model = try DomainLanguageModel.build(phrases: ["hello"])
            let bad = RecognitionGrammar(name: "broken", jsgf: "#JSGF V1.0;\ngrammar broken;\npublic <broken> = ( hello ;\n",
                                         vocabulary: ["hello"])
            _ = try await PocketSphinxRecognizer.make(languageModel: model, grammars: [bad])
            XCTFail("expected a grammar failure")
        } catch {
            guard case .grammarRejected(name: "broken", _) = error else { return XCTFail("\(error)") }
        }
    }
}
