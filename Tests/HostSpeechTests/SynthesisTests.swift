import Foundation
import HostSpeech
import TestSupport
import XCTest

final class SynthesisTests: XCTestCase {
    /// A voice call's first audio waits for the first unit only: a long first sentence is cut at
    /// its first clause boundary; later sentences and short first ones are left whole.
    func testTheFirstUnitIsCutAtItsFirstClauseWhenLong() {
        XCTAssertEqual(SentenceSplitter.split("Your balance is one hundred twenty dollars, due on the first of December, by card. Anything else?", firstMaxCharacters: 40),
                       ["Your balance is one hundred twenty dollars,", "due on the first of December, by card.", "Anything else?"])
        XCTAssertEqual(SentenceSplitter.split("Hello, thanks for calling. How can I help you today?", firstMaxCharacters: 40),
                       ["Hello, thanks for calling.", "How can I help you today?"])
    }

    func testSentenceSplitter() {
        XCTAssertEqual(SentenceSplitter.split("Hello there. How can I help? I'm listening!"),
                       ["Hello there.", "How can I help?", "I'm listening!"])
        XCTAssertEqual(SentenceSplitter.split("Dr. Smith refunded $24.50 today. Anything else?"),
                       ["Dr. Smith refunded $24.50 today.", "Anything else?"])
        XCTAssertEqual(SentenceSplitter.split("Line one\nLine two"), ["Line one", "Line two"])
        XCTAssertEqual(SentenceSplitter.split("  "), [])
        let long = "I can refund the desk for three hundred forty nine dollars because it arrived damaged, "
            + "and the refund will reach your card within five to seven business days after we process it."
        let parts = SentenceSplitter.split(long, maxCharacters: 120)
        XCTAssertEqual(parts.count, 2)
        XCTAssertTrue(parts[0].hasSuffix("damaged,"))
    }

    func testFliteStreamsSentenceBySentenceFasterThanRealTime() async throws {
        let text = "I can help with that. Your refund for order one two three four five is on its way. Is there anything else?"
        var chunks: [SpeechAudioChunk] = []
        var finishedSentences: [Int] = []
        var summary: SynthesisSummary?
        for await event in SpeechFixtures.flite.synthesize(text: text) {
            switch event {
            case .audio(let chunk):
                XCTAssertNil(summary)
                chunks.append(chunk)
            case .sentenceFinished(let index, _): finishedSentences.append(index)
            case .finished(let result): summary = result
            case .cancelled, .failed: XCTFail("unexpected \(event)")
            }
        }
        let result = try XCTUnwrap(summary)
        XCTAssertEqual(finishedSentences, [0, 1, 2])
        XCTAssertEqual(Set(chunks.map(\.sentenceIndex)), [0, 1, 2])
        XCTAssertTrue(chunks.allSatisfy { $0.sampleRate == 16_000 })
        XCTAssertEqual(result.samples, chunks.reduce(0) { $0 + $1.samples.count })
        // ~22 words: between 0.2 and 0.6 s per word.
        XCTAssertGreaterThan(result.audioSeconds, 4.5)
        XCTAssertLessThan(result.audioSeconds, 13)
        XCTAssertGreaterThan(result.realTimeFactor, 1)
        let peak = chunks.flatMap(\.samples).map { abs(Int($0)) }.max() ?? 0
        XCTAssertGreaterThan(peak, 3000, "audible speech")
        print("[speech] flite: \(format(result.audioSeconds, 2)) s audio in \(format(result.synthesisSeconds * 1000)) ms "
              + "= \(format(result.realTimeFactor))x real time; first audio after \(format((result.firstAudioSeconds ?? 0) * 1000)) ms "
              + "(whole reply would take \(format(result.synthesisSeconds * 1000)) ms)")
    }

    /// flite's voice mixes in noise from libc's rand(): unseeded, a sentence came out different
    /// after other sentences had been rendered (and a recogniser heard it differently). Seeded
    /// per sentence, the same sentence is the same audio whatever was rendered before it.
    func testTheSameSentenceIsTheSameAudioWhateverWasRenderedBefore() async throws {
        let flite = FliteSynthesizer()
        let first = try await flite.synthesizeAll(text: "I need a refund for order one two.").samples
        _ = try await flite.synthesizeAll(text: "Something else entirely, to move the noise along.")
        _ = rand()
        let again = try await flite.synthesizeAll(text: "I need a refund for order one two.").samples
        XCTAssertGreaterThan(first.count, 8_000)
        XCTAssertEqual(first, again)
        let other = try await flite.synthesizeAll(text: "I need a refund for order one three.").samples
        XCTAssertNotEqual(first, other)
    }

    func testFliteRejectsUnknownVoice() async {
        var failure: SpeechError?
        for await event in SpeechFixtures.flite.synthesize(text: "Hello.", voice: "kal16") {
            if case .failed(let error) = event { failure = error }
        }
        XCTAssertEqual(failure, .unsupportedVoice("kal16"))
    }

    func testCancellationStopsBeforeTheNextSentence() async throws {
        let text = (1...12).map { "This is sentence number \($0) of a long answer." }.joined(separator: " ")
        let events = LockedBox<[String]>([])
        let done = expectation(description: "terminal event")
        let job = LockedBox<SynthesisJob?>(nil)
        let stored = DispatchSemaphore(value: 0)
        let started = SpeechFixtures.flite.synthesize(text: text, voice: nil) { event in
            switch event {
            case .audio(let chunk):
                events.mutate { $0.append("audio\(chunk.sentenceIndex)") }
                stored.wait()   // the test has the handle (blocking the engine is fine in a test)
                job.value?.cancel()
                stored.signal()
            case .sentenceFinished(let index, _): events.mutate { $0.append("sentence\(index)") }
            case .cancelled: events.mutate { $0.append("cancelled") }; done.fulfill()
            case .finished: events.mutate { $0.append("finished") }; done.fulfill()
            case .failed(let error): XCTFail("\(error)"); done.fulfill()
            }
        }
        job.value = started
        stored.signal()
        await fulfillment(of: [done], timeout: 10)
        // Cancelled during sentence 0's audio: nothing more is rendered or reported.
        XCTAssertEqual(events.value, ["audio0", "cancelled"])
    }

    func testEspeakProducesPlausibleAudioFast() async throws {
        let espeak = EspeakSynthesizer(voice: "en-us")
        let text = "Thanks for calling. Your account balance is twenty four dollars."
        let (samples, summary) = try await espeak.synthesizeAll(text: text)
        XCTAssertEqual(summary.sampleRate, 22_050)
        XCTAssertEqual(summary.sentences, 2)
        XCTAssertEqual(samples.count, summary.samples)
        // 11 words at 175 wpm ≈ 3.8 s plus sentence pauses.
        XCTAssertGreaterThan(summary.audioSeconds, 2.0)
        XCTAssertLessThan(summary.audioSeconds, 8.0)
        XCTAssertGreaterThan(samples.map { abs(Int($0)) }.max() ?? 0, 3000)
        XCTAssertGreaterThan(summary.realTimeFactor, 10)
        print("[speech] espeak-ng: \(format(summary.audioSeconds, 2)) s audio at 22050 Hz in "
              + "\(format(summary.synthesisSeconds * 1000)) ms = \(format(summary.realTimeFactor))x real time")

        // Resampled to 16 kHz through HostAudio: same duration.
        let espeak16 = EspeakSynthesizer(voice: "en-us", outputSampleRate: 16_000)
        let (samples16, summary16) = try await espeak16.synthesizeAll(text: text)
        XCTAssertEqual(summary16.sampleRate, 16_000)
        XCTAssertEqual(Double(samples16.count) / 16_000, summary.audioSeconds, accuracy: 0.01)
        print("[speech] espeak-ng resampled to 16 kHz: \(format(summary16.realTimeFactor))x real time")

        // Faster speech is shorter; another voice works; a bogus voice fails.
        let fast = try await EspeakSynthesizer(voice: "en-us", wordsPerMinute: 300).synthesizeAll(text: text).summary
        XCTAssertLessThan(fast.audioSeconds, summary.audioSeconds * 0.8)
        let british = try await EspeakSynthesizer(voice: "en").synthesizeAll(text: "Hello.").summary
        XCTAssertGreaterThan(british.audioSeconds, 0.2)
        do {
            _ = try await EspeakSynthesizer(voice: "no-such-voice").synthesizeAll(text: "Hello.")
            XCTFail("expected a voice error")
        } catch {
            XCTAssertEqual(error, .unsupportedVoice("no-such-voice"))
        }
    }

    /// Why tests take espeak-ng audio from `FreshSpeech`: in one process the same text comes out
    /// differently each time (espeak-ng's own state, which its API cannot reset), while a fresh
    /// process renders it the same way every time, whatever this process rendered before.
    func testEspeakKeepsStateInAProcessAndFreshSpeechDoesNot() async throws {
        let text = "excuse me"
        let first = try await EspeakSynthesizer(voice: "en-us", outputSampleRate: 16_000).synthesizeAll(text: text).samples
        let second = try await EspeakSynthesizer(voice: "en-us", outputSampleRate: 16_000).synthesizeAll(text: text).samples
        XCTAssertNotEqual(first, second, "espeak-ng rendered the same text the same way twice in one process: FreshSpeech is no longer needed")
        let fresh = try FreshSpeech.render(text)
        _ = try await EspeakSynthesizer(voice: "en-us", outputSampleRate: 16_000).synthesizeAll(text: "uh huh okay")
        XCTAssertEqual(try FreshSpeech.render(text), fresh, "a fresh process renders the same samples every time")
        XCTAssertGreaterThan(fresh.count, 16_000 / 2, "half a second or more of speech")
    }

    func testEspeakCancellationAbortsMidSentence() async throws {
        let espeak = EspeakSynthesizer()
        let text = String(repeating: "this sentence goes on and on without any full stop ", count: 20)
        var audioChunks = 0
        var terminal: SynthesisEvent?
        for await event in espeak.synthesize(text: text) {
            if case .audio = event {
                audioChunks += 1
                if audioChunks == 2 { break }   // ends the stream: cancels the job
            }
            if event.isTerminal { terminal = event }
        }
        XCTAssertNil(terminal)
        // The engine is free again right away: a new request completes.
        let after = try await espeak.synthesizeAll(text: "Done.").summary
        XCTAssertGreaterThan(after.samples, 0)
    }

    func testSynthesisNeverRunsOnTheCallersThread() async throws {
        let callerThread = LockedBox<String>("")
        let engineThreads = LockedBox<Set<String>>([])
        let done = expectation(description: "done")
        let threadName: @Sendable () -> String = { "\(pthread_self())" }
        callerThread.value = threadName()
        SpeechFixtures.flite.synthesize(text: "One. Two.", voice: nil) { event in
            engineThreads.mutate { _ = $0.insert(threadName()) }
            if event.isTerminal { done.fulfill() }
        }
        await fulfillment(of: [done], timeout: 10)
        XCTAssertFalse(engineThreads.value.contains(callerThread.value))
    }
}
