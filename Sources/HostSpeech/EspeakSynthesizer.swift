import CEspeakNG
import Dispatch
import HostAudio

/// Text to speech with espeak-ng in synchronous mode (`AUDIO_OUTPUT_SYNCHRONOUS` +
/// `espeak_SetSynthCallback`): ~1000x real time, 22050 Hz, many languages, robotic.
///
/// Threading: espeak-ng is one global instance per process (its voice, parameters and callback
/// are process-wide), so every espeak call in the process runs on one serial queue shared by all
/// `EspeakSynthesizer` instances; each instance only remembers the voice and rate it asks for,
/// and the engine switches when a request needs another. See `SpeechSynthesizer` for the
/// callback contract. Audio arrives in buffers of `bufferMilliseconds`; cancellation stops the
/// engine at the next buffer.
public final class EspeakSynthesizer: SpeechSynthesizer {
    public let name = "espeak-ng"
    /// espeak's own rate (22050 Hz for the standard voices).
    public static let nativeSampleRate = 22_050
    /// Rate of the chunks delivered: `nativeSampleRate`, or the `outputSampleRate` given at init
    /// (resampled with HostAudio's `Resampler`, per sentence).
    public let sampleRate: Int
    /// espeak voice name used when a request passes `voice: nil` ("en-us", "en", "de", ...).
    public let defaultVoice: String
    /// Words per minute (espeak's range 80...450; 175 is its normal rate).
    public let wordsPerMinute: Int
    public let maxSentenceCharacters: Int

    /// - Parameter outputSampleRate: nil keeps espeak's 22050 Hz (resample once, at the caller's
    ///   rate, in the audio path); 16000 matches the recognizer and flite.
    public init(voice: String = "en-us", wordsPerMinute: Int = 175, outputSampleRate: Int? = nil,
                maxSentenceCharacters: Int = 160) {
        defaultVoice = voice
        self.wordsPerMinute = min(max(wordsPerMinute, 80), 450)
        sampleRate = outputSampleRate ?? Self.nativeSampleRate
        self.maxSentenceCharacters = maxSentenceCharacters
    }

    @discardableResult
    public func synthesize(text: String, voice: String? = nil, onEvent: @escaping @Sendable (SynthesisEvent) -> Void) -> SynthesisJob {
        let job = SynthesisJob()
        let requestedAt = monotonicSeconds()
        let voice = voice ?? defaultVoice
        let (rate, sampleRate, maxCharacters) = (wordsPerMinute, self.sampleRate, maxSentenceCharacters)
        EspeakEngine.queue.async {
            SpeechThreads.lowerPriority()
            let runner = SentenceRunner(sampleRate: sampleRate, job: job, requestedAt: requestedAt, onEvent: onEvent)
            let native: Int
            do throws(SpeechError) {
                native = try EspeakEngine.prepare(voice: voice, wordsPerMinute: rate)
            } catch {
                onEvent(.failed(error))
                return
            }
            let resampler: Resampler?
            do {
                resampler = native == sampleRate ? nil : try Resampler(inputRate: native, outputRate: sampleRate)
            } catch {
                onEvent(.failed(.engineFailure("cannot resample \(native) Hz to \(sampleRate) Hz: \(error)")))
                return
            }
            let sentences = SentenceSplitter.split(text, maxCharacters: maxCharacters, firstMaxCharacters: 40)
            runner.run(sentences: sentences) { (sentence, _, emit) throws(SpeechError) in
                guard let resampler else {
                    try EspeakEngine.render(sentence, emit)
                    return
                }
                try EspeakEngine.render(sentence) { emit(resampler.process($0)) }
                _ = emit(resampler.flush())
            }
        }
        return job
    }
}

/// The process's one espeak-ng: its queue and its state (touched only on `queue`).
enum EspeakEngine {
    static let queue = DispatchQueue(label: "hostspeech.espeak")
    static let bufferMilliseconds: Int32 = 100

    nonisolated(unsafe) private static var nativeRate: Int?
    nonisolated(unsafe) private static var currentVoice: String?
    nonisolated(unsafe) private static var currentRate: Int?
    /// Set by the callback when espeak called it without our `user_data` (never expected).
    nonisolated(unsafe) static var contextLost = false

    /// Initialises espeak once and selects the voice and rate. Returns the native sample rate.
    static func prepare(voice: String, wordsPerMinute: Int) throws(SpeechError) -> Int {
        dispatchPrecondition(condition: .onQueue(queue))
        if nativeRate == nil {
            let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, bufferMilliseconds, nil, 0)
            guard rate > 0 else { throw .engineUnavailable("espeak_Initialize failed (espeak-ng-data missing?)") }
            espeak_SetSynthCallback(espeakSynthCallback)
            nativeRate = Int(rate)
        }
        if currentVoice != voice {
            guard espeak_SetVoiceByName(voice) == EE_OK else { throw .unsupportedVoice(voice) }
            currentVoice = voice
            currentRate = nil   // a new voice resets the rate
        }
        if currentRate != wordsPerMinute {
            guard espeak_SetParameter(espeakRATE, Int32(wordsPerMinute), 0) == EE_OK else {
                throw .engineFailure("espeak_SetParameter(rate \(wordsPerMinute)) failed")
            }
            currentRate = wordsPerMinute
        }
        return nativeRate!
    }

    /// Renders one sentence synchronously; `emit` gets each buffer and returns false to abort.
    /// `onWord` (test and benchmark audio only, `WordTimedSynthesis`) gets each word's start: its
    /// 1-based character position in `text` and its first sample at the native rate.
    static func render(_ text: String, onWord: ((_ textPosition: Int, _ sample: Int) -> Void)? = nil,
                       _ emit: ([Int16]) -> Bool) throws(SpeechError) {
        dispatchPrecondition(condition: .onQueue(queue))
        try withoutActuallyEscaping(emit) { (emit) throws(SpeechError) in
            let sink = EspeakSink(emit: emit, onWord: onWord)
            let context = Unmanaged.passUnretained(sink).toOpaque()
            let status = withExtendedLifetime(sink) {
                text.withCString { bytes in
                    espeak_Synth(bytes, text.utf8.count + 1, 0, POS_CHARACTER, 0,
                                 UInt32(espeakCHARS_UTF8 | espeakENDPAUSE), nil, context)
                }
            }
            // espeak reports an aborted synthesis as success; only real failures land here.
            guard status == EE_OK || sink.aborted else { throw .engineFailure("espeak_Synth failed (\(status.rawValue))") }
            if contextLost {
                contextLost = false
                throw .engineFailure("espeak called back without the request's user_data")
            }
        }
    }
}

/// Per-sentence context handed to the C callback through espeak's `user_data`; it lives on the
/// stack of `EspeakEngine.render` for the duration of the synchronous `espeak_Synth` call.
private final class EspeakSink {
    let emit: ([Int16]) -> Bool
    let onWord: ((Int, Int) -> Void)?
    var aborted = false

    init(emit: @escaping ([Int16]) -> Bool, onWord: ((Int, Int) -> Void)?) {
        self.emit = emit
        self.onWord = onWord
    }
}

/// espeak's synth callback (runs inside `espeak_Synth`, on `EspeakEngine.queue`). Returns 1 to
/// abort synthesis. Every call's event list (at least its terminator) carries our `user_data`.
private let espeakSynthCallback: @convention(c) (UnsafeMutablePointer<Int16>?, Int32, UnsafeMutablePointer<espeak_EVENT>?) -> Int32 = { wav, count, events in
    guard let context = events?.pointee.user_data else {
        EspeakEngine.contextLost = true
        return 1
    }
    let sink = Unmanaged<EspeakSink>.fromOpaque(context).takeUnretainedValue()
    if let onWord = sink.onWord, var event = events {
        while event.pointee.type != espeakEVENT_LIST_TERMINATED {
            if event.pointee.type == espeakEVENT_WORD { onWord(Int(event.pointee.text_position), Int(event.pointee.sample)) }
            event += 1
        }
    }
    // A NULL buffer marks the end of synthesis; an empty one is not the end.
    guard let wav, count > 0 else { return sink.aborted ? 1 : 0 }
    if !sink.emit(Array(UnsafeBufferPointer(start: wav, count: Int(count)))) { sink.aborted = true }
    return sink.aborted ? 1 : 0
}
