import CFlite
import Dispatch

/// Text to speech with CMU flite and the `cmu_us_slt` voice: 16 kHz, ~85x real time, and much
/// better understood by recognizers than espeak.
///
/// Threading: flite keeps global state (its voice and language registries, feature tables) and
/// is not documented as thread-safe, so every flite call in the process runs on one serial
/// queue shared by all `FliteSynthesizer` instances; requests run one after another. See
/// `SpeechSynthesizer` for the callback contract. Cancellation takes effect between sentences
/// (flite renders a sentence in one call; a 3 s sentence takes ~35 ms).
public final class FliteSynthesizer: SpeechSynthesizer {
    public let name = "flite"
    /// cmu_us_slt renders at 16 kHz: the recognizer's rate, no resampling needed.
    public let sampleRate = 16_000
    /// Voices this build links; `nil` or any of these names selects cmu_us_slt.
    public static let voices = ["slt", "cmu_us_slt"]

    /// Sentences longer than this are cut at a clause boundary (see `SentenceSplitter`).
    public let maxSentenceCharacters: Int

    public init(maxSentenceCharacters: Int = 160) {
        self.maxSentenceCharacters = maxSentenceCharacters
    }

    @discardableResult
    public func synthesize(text: String, voice: String? = nil, onEvent: @escaping @Sendable (SynthesisEvent) -> Void) -> SynthesisJob {
        let job = SynthesisJob()
        let requestedAt = monotonicSeconds()
        let sampleRate = self.sampleRate
        let maxCharacters = maxSentenceCharacters
        FliteEngine.queue.async {
            SpeechThreads.lowerPriority()
            let runner = SentenceRunner(sampleRate: sampleRate, job: job, requestedAt: requestedAt, onEvent: onEvent)
            if let voice, !FliteSynthesizer.voices.contains(voice.lowercased()) {
                onEvent(.failed(.unsupportedVoice(voice)))
                return
            }
            let sentences = SentenceSplitter.split(text, maxCharacters: maxCharacters, firstMaxCharacters: 40)
            runner.run(sentences: sentences) { (sentence, _, emit) throws(SpeechError) in
                let samples = try FliteEngine.render(sentence)
                guard samples.rate == sampleRate else {
                    throw .engineFailure("flite produced \(samples.rate) Hz, expected \(sampleRate) Hz")
                }
                _ = emit(samples.pcm)
            }
        }
        return job
    }
}

/// The process's one flite: its queue and the registered voice (touched only on `queue`).
enum FliteEngine {
    static let queue = DispatchQueue(label: "hostspeech.flite")

    /// Registered once, on `queue`; flite_init and register_cmu_us_slt must not race.
    nonisolated(unsafe) private static var voice: UnsafeMutablePointer<cst_voice>?

    /// FNV-1a of the sentence: its noise seed.
    static func seed(_ text: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }

    /// cmu_us_slt, registered on first use. Call on `queue` only.
    static func registeredVoice() throws(SpeechError) -> UnsafeMutablePointer<cst_voice> {
        if voice == nil {
            flite_init()
            voice = register_cmu_us_slt(nil)
        }
        guard let voice else { throw .engineUnavailable("register_cmu_us_slt failed") }
        return voice
    }

    /// Renders one sentence. Call on `queue` only.
    static func render(_ text: String) throws(SpeechError) -> (pcm: [Int16], rate: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        let voice = try registeredVoice()
        // cmu_us_slt's excitation mixes in noise from libc's rand(), whose one process-wide
        // sequence every earlier sentence had advanced: the same sentence came out different
        // from run to run (and a recogniser heard "refund for order" in one run, "refund for a
        // order" in the next). Seeded from the sentence, a sentence is always the same audio.
        srand(Self.seed(text))
        guard let wave = flite_text_to_wave(text, voice) else {
            throw .engineFailure("flite_text_to_wave returned nothing for \"\(text)\"")
        }
        defer { delete_wave(wave) }
        let count = Int(wave.pointee.num_samples)  // mono: cmu_us_slt has one channel
        let pcm = count > 0 && wave.pointee.samples != nil
            ? Array(UnsafeBufferPointer(start: wave.pointee.samples, count: count)) : []
        return (pcm, Int(wave.pointee.sample_rate))
    }
}
