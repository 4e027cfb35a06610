import Dispatch
import Foundation
import HostSpeech
import Synchronization

/// Speech engines for the media-only host (`voice --media`): the audio path of every call (frame
/// decoding, VAD, turn detection, the orchestration and paced outbound audio) runs for real, but
/// no utterance is decoded and no reply is rendered per call. This measures what one host loop
/// can carry in streams, apart from the speech engines' CPU.

/// Hears the same words in every utterance without looking at the audio.
final class FixedTranscriptRecognizer: SpeechRecognizer {
    let name = "fixed-transcript"
    let sampleRate = 16_000
    let text: String

    init(text: String) { self.text = text }

    func makeSession(onPartial: (@Sendable (String) -> Void)?) -> RecognitionSession { FixedTranscriptSession(text: text) }
}

final class FixedTranscriptSession: RecognitionSession {
    let text: String
    private let samples = Atomic<Int>(0)
    /// Completions leave the caller's thread, as a real engine's do (never re-entrant).
    private static let queue = DispatchQueue(label: "bench.fixed-transcript")

    init(text: String) { self.text = text }

    func accept(samples: [Int16]) { self.samples.add(samples.count, ordering: .relaxed) }

    func finish(_ completion: @escaping @Sendable (Result<Transcript, SpeechError>) -> Void) {
        let seconds = Double(samples.exchange(0, ordering: .relaxed)) / 16_000
        let transcript = Transcript(text: text, search: RecognitionGrammar.languageModelSearch, audioSeconds: seconds,
                                    processingSeconds: 0, finalizeSeconds: 0)
        Self.queue.async { completion(.success(transcript)) }
    }

    func cancelUtterance() { samples.store(0, ordering: .relaxed) }
    func useGrammar(_ grammar: RecognitionGrammar) throws(SpeechError) {}
    func useLanguageModel() {}
    func ready(_ completion: @escaping @Sendable (Result<Double, SpeechError>) -> Void) { Self.queue.async { completion(.success(0)) } }
    func close() {}
}

/// Renders each distinct sentence once with the wrapped engine and replays it afterwards: a
/// prompt cache, so thousands of calls saying the same replies cost the engine nothing.
final class CachedSynthesizer: SpeechSynthesizer {
    let engine: any SpeechSynthesizer
    var name: String { "cached-" + engine.name }
    var sampleRate: Int { engine.sampleRate }
    /// Text → its rendered samples and the engine's own summary of that render (replayed as is).
    private let cache = Mutex<[String: ([Int16], SynthesisSummary)]>([:])
    private static let queue = DispatchQueue(label: "bench.cached-synthesis")

    init(engine: any SpeechSynthesizer) { self.engine = engine }

    @discardableResult
    func synthesize(text: String, voice: String?, onEvent: @escaping @Sendable (SynthesisEvent) -> Void) -> SynthesisJob {
        let job = SynthesisJob()
        if let (samples, summary) = cache.withLock({ $0[text] }) {
            let rate = sampleRate
            Self.queue.async {
                guard !job.isCancelled else { return onEvent(.cancelled) }
                onEvent(.audio(SpeechAudioChunk(samples: samples, sampleRate: rate, sentenceIndex: 0)))
                onEvent(.sentenceFinished(index: 0, text: text))
                onEvent(.finished(summary))
            }
            return job
        }
        // A miss: the engine's own request (and its job, so cancelling reaches the engine).
        let rendered = RenderBuffer()
        return engine.synthesize(text: text, voice: voice) { [self] event in
            switch event {
            case .audio(let chunk): rendered.samples.withLock { $0 += chunk.samples }
            case .finished(let summary): cache.withLock { $0[text] = (rendered.samples.withLock { $0 }, summary) }
            default: break
            }
            onEvent(event)
        }
    }
}

/// One render's samples as they arrive on the engine's queue.
private final class RenderBuffer: Sendable {
    let samples = Mutex<[Int16]>([])
}
