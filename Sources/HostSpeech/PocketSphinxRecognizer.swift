import CPocketSphinx
import Dispatch
import Foundation
import Synchronization

/// Where pocketsphinx's model files are.
public struct PocketSphinxModel: Sendable, Equatable {
    /// Acoustic model directory (`-hmm`).
    public var acousticModelPath: String
    /// Full pronunciation dictionary (cmudict).
    public var dictionaryPath: String
    /// The stock general-English language model (baseline only: ~70% WER on synthetic speech).
    public var languageModelPath: String

    public init(acousticModelPath: String, dictionaryPath: String, languageModelPath: String) {
        self.acousticModelPath = acousticModelPath
        self.dictionaryPath = dictionaryPath
        self.languageModelPath = languageModelPath
    }

    /// Debian's `pocketsphinx-en-us` package.
    public static let standard = PocketSphinxModel(
        acousticModelPath: "/usr/share/pocketsphinx/model/en-us/en-us",
        dictionaryPath: "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict",
        languageModelPath: "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin")
}

/// Offline recognition with CMU pocketsphinx (0.8 / 5prealpha API) and the en-us model at 16 kHz.
///
/// A recognizer holds one tenant's configuration: its `DomainLanguageModel` and dictionary
/// (written to a private temporary directory) and the grammars prompts may switch to. Each
/// session (one per call) creates its own decoder on its own queue: decoders are not shared
/// between threads and adapt to their caller (cepstral mean). Create recognizers with `make`
/// (it loads and checks everything once, on a setup queue, and measures decoder creation).
///
/// Logging: sphinxbase's log target is process-global and `-logfn` reopens it on every
/// `ps_init`, closing the file another decoder may be writing to at that moment. So only the
/// process's first decoder is given `-logfn /dev/null` (created under a lock); the others
/// inherit it. Set `HOSTSPEECH_SPHINX_LOG=/path` in the environment to log to a file instead.
public final class PocketSphinxRecognizer: SpeechRecognizer {
    public let name = "pocketsphinx"
    public let sampleRate = 16_000
    public let model: PocketSphinxModel
    /// Decoder arguments (`-hmm ... -lm ... -dict ... -samprate 16000` plus options).
    public let arguments: [String]
    /// Grammars sessions may switch to, by name (checked against the dictionary and the engine
    /// when the recognizer was made).
    public let grammars: [String: RecognitionGrammar]
    /// Words sessions can recognise (nil: the full cmudict of the stock setup).
    public let vocabulary: Set<String>?
    /// Decoder creation time measured while making the recognizer (seconds).
    public let probeCreationSeconds: Double
    /// Throttle for partial hypotheses: at most one per this much audio.
    public let partialInterval: Double
    /// Utterances that start before a session has heard this much audio are decoded a second
    /// time at `finish`, once the first pass has adapted the cepstral mean to the caller's
    /// channel (see `PocketSphinxSession`); 0 turns it off.
    public let adaptationSeconds: Double

    private let files: ScratchDirectory?
    /// Second opinions on speech over the agent (nil: the recognizer gives none).
    let overlapJudge: OverlapJudge?
    /// Warm decoders for new sessions (nil: each session creates its own). See `DecoderPool`.
    let pool: DecoderPool?
    /// Warm decoders for phone calls (narrowband sessions), adapted on the same phrases as they
    /// sound through a phone line (`AudioBand.overPhoneLine`): a wideband-adapted mean mishears
    /// phone audio (see `makeSession(band:onPartial:)`). Starts at `phoneWarmDecoders` and grows
    /// with the phone call rate like `pool`; nil without warm-up audio.
    let phonePool: DecoderPool?

    /// The warm pool: decoders ready, its current target, calls that found it empty, and the
    /// estimated memory one warm decoder holds (nil without a pool).
    public var warmPool: (ready: Int, target: Int, misses: Int, bytesPerDecoder: Int?)? {
        pool.map { let s = $0.status; return (s.ready, s.target, s.misses, s.bytesPerDecoder) }
    }

    /// The phone calls' warm pool, as `warmPool` (nil without one).
    public var phoneWarmPool: (ready: Int, target: Int, misses: Int, bytesPerDecoder: Int?)? {
        phonePool.map { let s = $0.status; return (s.ready, s.target, s.misses, s.bytesPerDecoder) }
    }

    /// Blocks until the warm pools hold their targets (start-up, benchmarks; not on a loop thread).
    public func waitForWarmPool(timeoutSeconds: Double = 30) {
        pool?.waitUntilFull(timeoutSeconds: timeoutSeconds)
        phonePool?.waitUntilFull(timeoutSeconds: timeoutSeconds)
    }

    private init(model: PocketSphinxModel, arguments: [String], grammars: [RecognitionGrammar], vocabulary: Set<String>?,
                 files: ScratchDirectory?, partialInterval: Double, adaptationSeconds: Double,
                 warmDecoders: Int = 0, phoneWarmDecoders: Int = 0, warmUpAudio: [Int16] = [], secondOpinions: Bool = false) throws(SpeechError) {
        pool = warmDecoders > 0 ? DecoderPool(arguments: arguments, warmUpAudio: warmUpAudio, initialTarget: warmDecoders) : nil
        phonePool = warmDecoders > 0 && !warmUpAudio.isEmpty
            ? DecoderPool(arguments: arguments, warmUpAudio: AudioBand.overPhoneLine(warmUpAudio), initialTarget: phoneWarmDecoders) : nil
        self.model = model
        self.arguments = arguments
        self.grammars = Dictionary(grammars.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.vocabulary = vocabulary
        self.files = files
        self.partialInterval = partialInterval
        self.adaptationSeconds = adaptationSeconds
        // Probe: one decoder proves the model, LM, dictionary and every grammar load.
        let started = monotonicSeconds()
        let probe = try SphinxDecoder(arguments: arguments)
        probeCreationSeconds = monotonicSeconds() - started
        for grammar in grammars { try probe.register(grammar) }
        // The probe stays as the judge of speech over the agent (its grammars registered: harmless).
        overlapJudge = secondOpinions ? try OverlapJudge(decoder: probe, warmUpAudio: warmUpAudio) : nil
    }

    /// A recognizer for a tenant's domain language model (the production setup).
    /// - Parameters:
    ///   - grammars: closed-prompt grammars sessions may switch to (their words are added to the
    ///     dictionary from cmudict).
    ///   - options: extra decoder arguments, e.g. ["-beam": "1e-60"].
    ///   - adaptationSeconds: see the property (the first ~2 s of a call are re-decoded).
    ///   - warmDecoders: decoders kept ready for new calls (0: none); `warmUpAudio` (16 kHz
    ///     speech, e.g. the tenant's phrases synthesised) adapts each before a call takes it, so
    ///     calls on a warm decoder skip the first-utterance replay. See `DecoderPool`.
    ///   - phoneWarmDecoders: the phone calls' pool's starting size (it grows when a phone call
    ///     finds it empty); its decoders adapt on `warmUpAudio` as a phone line carries it.
    ///   - secondOpinions: speech over the agent is also decoded with `RecognitionGrammar.overlap`
    ///     (one more decoder, the probe, kept for it; its words join the dictionary).
    /// Runs on a setup queue: reads cmudict and creates one probe decoder (~0.1-0.3 s).
    public static func make(languageModel: DomainLanguageModel, grammars: [RecognitionGrammar] = RecognitionGrammar.standard,
                            model: PocketSphinxModel = .standard, options: [String: String] = [:],
                            partialInterval: Double = 0.3, adaptationSeconds: Double = 2,
                            warmDecoders: Int = 0, phoneWarmDecoders: Int = 0, warmUpAudio: [Int16] = [],
                            secondOpinions: Bool = false) async throws(SpeechError) -> PocketSphinxRecognizer {
        try await onSetupQueue { () throws(SpeechError) in
            var lexicon = languageModel.lexicon
            let needed = Set((grammars + (secondOpinions ? [.overlap] : [])).flatMap(\.vocabulary)).subtracting(lexicon.words)
            if !needed.isEmpty {
                lexicon = lexicon.merging(try PronunciationLexicon.load(path: model.dictionaryPath, words: needed))
            }
            let missing = needed.subtracting(lexicon.words)
            guard missing.isEmpty else { throw .outOfVocabulary(missing.sorted()) }
            let files = try ScratchDirectory(prefix: "hostspeech-lm")
            let lmPath = try files.write(languageModel.arpa, to: "domain.lm")
            let dictPath = try files.write(lexicon.dictionaryText, to: "domain.dict")
            let arguments = decoderArguments(model: model, languageModel: lmPath, dictionary: dictPath, options: options)
            return try PocketSphinxRecognizer(model: model, arguments: arguments, grammars: grammars, vocabulary: lexicon.words,
                                              files: files, partialInterval: partialInterval, adaptationSeconds: adaptationSeconds,
                                              warmDecoders: warmDecoders, phoneWarmDecoders: phoneWarmDecoders, warmUpAudio: warmUpAudio,
                                              secondOpinions: secondOpinions)
        }
    }

    /// A recognizer with the stock general-English LM and full cmudict (a baseline to compare the
    /// domain model with; not for production calls).
    public static func makeStock(model: PocketSphinxModel = .standard, grammars: [RecognitionGrammar] = RecognitionGrammar.standard,
                                 options: [String: String] = [:], partialInterval: Double = 0.3,
                                 adaptationSeconds: Double = 2) async throws(SpeechError) -> PocketSphinxRecognizer {
        try await onSetupQueue { () throws(SpeechError) in
            let arguments = decoderArguments(model: model, languageModel: model.languageModelPath, dictionary: model.dictionaryPath,
                                             options: options)
            return try PocketSphinxRecognizer(model: model, arguments: arguments, grammars: grammars, vocabulary: nil, files: nil,
                                              partialInterval: partialInterval, adaptationSeconds: adaptationSeconds)
        }
    }

    static func decoderArguments(model: PocketSphinxModel, languageModel: String, dictionary: String,
                                 options: [String: String]) -> [String] {
        var arguments = ["-hmm", model.acousticModelPath, "-lm", languageModel, "-dict", dictionary, "-samprate", "16000"]
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            arguments += [key.hasPrefix("-") ? key : "-" + key, value]
        }
        return arguments
    }

    private static let setupQueue = DispatchQueue(label: "hostspeech.pocketsphinx.setup", attributes: .concurrent)

    private static func onSetupQueue<T: Sendable>(_ body: @escaping @Sendable () throws(SpeechError) -> T) async throws(SpeechError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, SpeechError>, Never>) in
            setupQueue.async {
                do throws(SpeechError) { continuation.resume(returning: .success(try body())) } catch { continuation.resume(returning: .failure(error)) }
            }
        }
        return try result.get()
    }

    public func makeSession(onPartial: (@Sendable (String) -> Void)? = nil) -> RecognitionSession {
        PocketSphinxSession(recognizer: self, band: .wideband, onPartial: onPartial)
    }

    /// Narrowband (phone) sessions never take a wideband-warmed decoder: those adapted their
    /// cepstral mean on wideband speech (the tenant's phrases at 16 kHz), and that mean is wrong
    /// for audio with nothing above 4 kHz. Measured (flite phrases through 8 kHz mu-law and back):
    /// a wideband-warmed decoder heard "I need a refund" as "one" and got 4 of 5 phrases wrong,
    /// while a new decoder (with the first-utterance replay) got all 5. Decoding the first
    /// utterance again on the warm decoder was tried and did not help: the replay starts from
    /// the same mean. They take a decoder from the phone pool instead, warmed on the same phrases
    /// as a phone line carries them.
    public func makeSession(band: AudioBand, onPartial: (@Sendable (String) -> Void)?) -> RecognitionSession {
        PocketSphinxSession(recognizer: self, band: band, onPartial: onPartial)
    }
}

/// One call's decoder. All mutable state is confined to `queue` (hence `@unchecked Sendable`);
/// the only state touched elsewhere is the atomic `closed` flag.
///
/// Channel adaptation: pocketsphinx normalises features with a live cepstral mean that starts
/// from the model's `-cmninit` and is updated from what the decoder hears. Until it has heard
/// the caller for a moment, a telephone line or synthetic voice is mismatched and the first
/// utterance suffers (measured: "one two three four five" → "one two three five five" on the
/// first pass, right on the second). So while the session has heard less than
/// `adaptationSeconds`, the utterance's audio is kept and decoded again at `finish` with the
/// adapted mean. Cost: one more decode of that utterance at end of turn (~4% of its length,
/// measured ~150 ms for a 4 s utterance), on the first turn(s) of a call only.
final class PocketSphinxSession: RecognitionSession, @unchecked Sendable {
    /// Also keeps the recognizer's model files alive while this session may read them.
    private let recognizer: PocketSphinxRecognizer
    private let onPartial: (@Sendable (String) -> Void)?
    private let queue = DispatchQueue(label: "hostspeech.pocketsphinx.session", target: SpeechThreads.pool)
    private let closed = Atomic<Bool>(false)

    /// Every engine call runs here, in call order, below the loop's priority (SpeechThreads).
    private func onQueue(_ body: @escaping @Sendable () -> Void) {
        queue.async {
            SpeechThreads.lowerPriority()
            body()
        }
    }

    // ---- queue-confined ----
    private var decoder: SphinxDecoder?
    private var setup: Result<Double, SpeechError> = .failure(.decoderCreationFailed("not created yet"))
    private var inUtterance = false
    private var utteranceSamples = 0
    private var processingSeconds = 0.0
    private var samplesAtLastPartial = 0
    private var lastPartial = ""
    /// Audio of finished utterances (for adaptation).
    private var sessionSamples = 0
    /// The current utterance's audio while it is to be decoded again at `finish`.
    private var replay: [Int16]?
    private static let maxReplaySamples = 30 * 16_000
    /// The search the next utterance uses (nil: the language model).
    private var wantedGrammar: RecognitionGrammar?
    private var activeSearch = RecognitionGrammar.languageModelSearch
    private var deferredError: SpeechError?
    /// The current utterance is said over the agent (`judgeOverAgent`): the judge gives its second
    /// opinion on `overlapAudio`, the utterance's first `OverlapJudge.maxSamples` (kept while the
    /// recognizer has a judge: ≤ 96 KB a call, only while the caller talks).
    private var judging = false
    private var overlapAudio: [Int16] = []

    /// The band of the caller's audio (a narrowband session creates its own decoder).
    private let band: AudioBand

    init(recognizer: PocketSphinxRecognizer, band: AudioBand, onPartial: (@Sendable (String) -> Void)?) {
        self.recognizer = recognizer
        self.band = band
        self.onPartial = onPartial
        onQueue { self.create() }
    }

    private func create() {
        let started = monotonicSeconds()
        if let warm = (band == .wideband ? recognizer.pool : recognizer.phonePool)?.take() {
            decoder = warm.decoder
            // Already adapted to speech: the first utterance need not be decoded twice.
            if warm.adapted { sessionSamples = Int(recognizer.adaptationSeconds * Double(recognizer.sampleRate)) }
            setup = .success(monotonicSeconds() - started)
            return
        }
        do throws(SpeechError) {
            decoder = try SphinxDecoder(arguments: recognizer.arguments)
            setup = .success(monotonicSeconds() - started)
        } catch {
            setup = .failure(error)
        }
    }

    func ready(_ completion: @escaping @Sendable (Result<Double, SpeechError>) -> Void) {
        onQueue { completion(self.closed.load(ordering: .relaxed) ? .failure(.sessionClosed) : self.setup) }
    }

    func accept(samples: [Int16]) {
        guard !samples.isEmpty, !closed.load(ordering: .relaxed) else { return }
        onQueue { self.process(samples) }
    }

    private func process(_ samples: [Int16]) {
        guard let decoder else { return }
        let started = monotonicSeconds()
        if !inUtterance {
            applyWantedSearch()
            guard decoder.startUtterance() else {
                deferredError = .engineFailure("ps_start_utt failed")
                return
            }
            inUtterance = true
            utteranceSamples = 0
            processingSeconds = 0
            samplesAtLastPartial = 0
            lastPartial = ""
            overlapAudio = []
            replay = Double(sessionSamples) < recognizer.adaptationSeconds * Double(recognizer.sampleRate) ? [] : nil
        }
        // Kept from the utterance's start whether or not it is judged yet: the call learns that
        // it overlaps the agent only after its first audio went in.
        if recognizer.overlapJudge != nil, overlapAudio.count < OverlapJudge.maxSamples {
            overlapAudio.append(contentsOf: samples)
        }
        if replay != nil {
            replay!.append(contentsOf: samples)
            if replay!.count > Self.maxReplaySamples { replay = nil }
        }
        if !decoder.process(samples) { deferredError = .engineFailure("ps_process_raw failed") }
        utteranceSamples += samples.count
        if let onPartial, Double(utteranceSamples - samplesAtLastPartial) >= recognizer.partialInterval * Double(recognizer.sampleRate) {
            samplesAtLastPartial = utteranceSamples
            let hypothesis = decoder.hypothesis()
            if hypothesis != lastPartial {
                lastPartial = hypothesis
                processingSeconds += monotonicSeconds() - started
                onPartial(hypothesis)
                return
            }
        }
        processingSeconds += monotonicSeconds() - started
    }

    func finish(_ completion: @escaping @Sendable (Result<Transcript, SpeechError>) -> Void) {
        onQueue {
            guard !self.closed.load(ordering: .relaxed) else { return completion(.failure(.sessionClosed)) }
            guard let decoder = self.decoder else {
                if case .failure(let error) = self.setup { return completion(.failure(error)) }
                return completion(.failure(.sessionClosed))
            }
            if let error = self.deferredError {
                self.deferredError = nil
                if self.inUtterance { decoder.endUtterance(); self.inUtterance = false }
                return completion(.failure(error))
            }
            guard self.inUtterance else {
                self.judging = false
                self.applyWantedSearch()
                return completion(.success(Transcript(text: "", search: self.activeSearch, audioSeconds: 0,
                                                      processingSeconds: 0, finalizeSeconds: 0)))
            }
            let started = monotonicSeconds()
            decoder.endUtterance()
            self.inUtterance = false
            self.sessionSamples += self.utteranceSamples
            if let replay = self.replay, decoder.startUtterance() {
                _ = decoder.process(replay)
                decoder.endUtterance()
            }
            self.replay = nil
            let text = decoder.hypothesis()
            let words = decoder.words()
            let secondOpinion = self.endJudging()
            let finalize = monotonicSeconds() - started
            let transcript = Transcript(text: text, words: words, search: self.activeSearch,
                                        audioSeconds: Double(self.utteranceSamples) / Double(self.recognizer.sampleRate),
                                        processingSeconds: self.processingSeconds + finalize, finalizeSeconds: finalize,
                                        secondOpinion: secondOpinion)
            self.applyWantedSearch()
            completion(.success(transcript))
        }
    }

    func currentHypothesis(_ completion: @escaping @Sendable (String?) -> Void) {
        onQueue {
            guard let decoder = self.decoder, !self.closed.load(ordering: .relaxed) else { return completion(nil) }
            completion(self.inUtterance ? decoder.hypothesis() : "")
        }
    }

    func judgeOverAgent() {
        onQueue { self.judging = true }
    }

    /// An integer setting of this session's decoder as the engine holds it (nil before the
    /// decoder exists or for an unknown name): tests check a `RecognitionProfile` reached it.
    func decoderSetting(_ name: String, _ completion: @escaping @Sendable (Int?) -> Void) {
        onQueue { completion(self.decoder?.integerSetting(name)) }
    }

    func hearingOverAgent(_ completion: @escaping @Sendable (String?, String?) -> Void) {
        onQueue {
            guard let decoder = self.decoder, !self.closed.load(ordering: .relaxed) else { return completion(nil, nil) }
            guard self.inUtterance else { return completion("", nil) }
            let secondOpinion = self.judging ? self.recognizer.overlapJudge?.secondOpinion(self.overlapAudio[...], band: self.band) : nil
            completion(decoder.hypothesis(), secondOpinion)
        }
    }

    /// The judge's reading of the utterance that ends now (nil when it was not judged), and no
    /// more judging until asked again. Queue-confined.
    private func endJudging() -> String? {
        defer { (judging, overlapAudio) = (false, []) }
        guard judging, let judge = recognizer.overlapJudge else { return nil }
        return judge.secondOpinion(overlapAudio[...], band: band)
    }

    func cancelUtterance() {
        onQueue {
            self.judging = false
            self.overlapAudio = []
            guard let decoder = self.decoder, self.inUtterance else { return }
            decoder.endUtterance()
            self.inUtterance = false
            self.sessionSamples += self.utteranceSamples
            self.replay = nil
            self.applyWantedSearch()
        }
    }

    func useGrammar(_ grammar: RecognitionGrammar) throws(SpeechError) {
        guard !closed.load(ordering: .relaxed) else { throw .sessionClosed }
        guard recognizer.grammars[grammar.name] == grammar else {
            if let vocabulary = recognizer.vocabulary {
                let missing = grammar.vocabulary.subtracting(vocabulary)
                if !missing.isEmpty { throw .outOfVocabulary(missing.sorted()) }
            }
            throw .grammarRejected(name: grammar.name, reason: "not prepared: pass it in the recognizer's grammars")
        }
        onQueue {
            self.wantedGrammar = grammar
            if !self.inUtterance { self.applyWantedSearch() }
        }
    }

    func useLanguageModel() {
        onQueue {
            self.wantedGrammar = nil
            if !self.inUtterance { self.applyWantedSearch() }
        }
    }

    /// Switches the decoder's search to the wanted one (between utterances only).
    private func applyWantedSearch() {
        guard let decoder, !inUtterance else { return }
        let wanted = wantedGrammar?.name ?? RecognitionGrammar.languageModelSearch
        guard wanted != activeSearch else { return }
        do throws(SpeechError) {
            if let grammar = wantedGrammar {
                try decoder.register(grammar)
                try decoder.select(grammar.name)
            } else {
                try decoder.selectLanguageModel()
            }
            activeSearch = wanted
        } catch {
            deferredError = error
            wantedGrammar = nil
        }
    }

    func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        onQueue {
            if self.inUtterance { self.decoder?.endUtterance() }
            self.inUtterance = false
            self.decoder = nil
        }
    }
}

/// One `ps_decoder_t`. Not thread-safe: owned by one session and used on its queue only
/// (`@unchecked Sendable` only so the warm pool can hand a whole decoder over to a session).
final class SphinxDecoder: @unchecked Sendable {
    private let decoder: OpaquePointer
    private let languageModelSearch: String
    private var registered: Set<String> = []
    private let framesPerSecond = 100.0
    /// Segment frame numbers count from the start of the decoder's stream, not the utterance:
    /// the front end's clock is the number of samples it has been given (across utterances) /
    /// the frame shift. Word times subtract the utterance's start on that clock (±half a frame).
    private var streamSamples = 0
    private var utteranceStartSample = 0
    private let sampleRate = 16_000.0

    /// Whether a decoder has redirected sphinxbase's process-global log yet (see `init`).
    private static let logRedirected = Mutex(false)

    /// Creates a decoder. The first decoder of the process gets `-logfn` (/dev/null, or
    /// $HOSTSPEECH_SPHINX_LOG for diagnostics) and is created under a lock; later decoders
    /// omit it, so no `ps_init` ever closes the log file while another decoder writes to it.
    init(arguments: [String]) throws(SpeechError) {
        // Only the first creation runs under the lock; later ones run in parallel.
        let first: Result<OpaquePointer, SpeechError>? = Self.logRedirected.withLock { redirected in
            guard !redirected else { return nil }
            let logFile = ProcessInfo.processInfo.environment["HOSTSPEECH_SPHINX_LOG"].flatMap { $0.isEmpty ? nil : $0 } ?? "/dev/null"
            let result = Self.create(arguments + ["-logfn", logFile])
            if case .success = result { redirected = true }
            return result
        }
        decoder = try (first ?? Self.create(arguments)).get()
        languageModelSearch = ps_get_search(decoder).map { String(cString: $0) } ?? "_default"
    }

    private static func create(_ arguments: [String]) -> Result<OpaquePointer, SpeechError> {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        guard let config = cmd_ln_parse_r(nil, ps_args(), Int32(arguments.count), &argv, 1) else {
            return .failure(.decoderCreationFailed("invalid decoder arguments: \(arguments.joined(separator: " "))"))
        }
        defer { cmd_ln_free_r(config) }   // ps_init keeps its own reference
        guard let decoder = ps_init(config) else {
            return .failure(.decoderCreationFailed("ps_init failed (check the model paths; run with HOSTSPEECH_SPHINX_LOG=/tmp/sphinx.log to see why)"))
        }
        return .success(decoder)
    }

    deinit { ps_free(decoder) }

    /// The engine's handle, for extensions in this module (used on the owner's queue only).
    var pointer: OpaquePointer { decoder }

    /// Starts the decoder's stream afresh: its front end forgets the noise level it has been
    /// estimating from everything it heard (spectral subtraction, `-remove_noise`) and its clock.
    func restartStream() {
        ps_start_stream(decoder)
        streamSamples = 0
    }

    func startUtterance() -> Bool {
        utteranceStartSample = streamSamples
        return ps_start_utt(decoder) == 0
    }

    func process(_ samples: [Int16]) -> Bool {
        streamSamples += samples.count
        return samples.withUnsafeBufferPointer { ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 0) >= 0 }
    }

    func endUtterance() { ps_end_utt(decoder) }

    /// The best hypothesis so far (or final after `endUtterance`).
    func hypothesis() -> String {
        var score: Int32 = 0
        guard let text = ps_get_hyp(decoder, &score) else { return "" }
        return String(cString: text).split(separator: " ").joined(separator: " ")
    }

    /// Words of the final hypothesis with timings (seconds from the utterance's first sample,
    /// within a frame or two), fillers removed.
    func words() -> [RecognizedWord] {
        var words: [RecognizedWord] = []
        let offset = Double(utteranceStartSample) / sampleRate
        var segment = ps_seg_iter(decoder)
        while let current = segment {
            if let raw = ps_seg_word(current) {
                var word = String(cString: raw)
                if let variant = word.firstIndex(of: "("), word.hasSuffix(")") { word = String(word[..<variant]) }
                if !(word.hasPrefix("<") || word.hasPrefix("[")) {
                    var start: Int32 = 0, end: Int32 = 0
                    ps_seg_frames(current, &start, &end)
                    words.append(RecognizedWord(word: word, start: max(Double(start) / framesPerSecond - offset, 0),
                                                end: max(Double(end + 1) / framesPerSecond - offset, 0)))
                }
            }
            segment = ps_seg_next(current)   // frees the iterator at the end
        }
        return words
    }

    /// Adds a grammar search (once per decoder).
    func register(_ grammar: RecognitionGrammar) throws(SpeechError) {
        guard !registered.contains(grammar.name) else { return }
        guard grammar.name != RecognitionGrammar.languageModelSearch, grammar.name != languageModelSearch else {
            throw .grammarRejected(name: grammar.name, reason: "reserved name")
        }
        guard ps_set_jsgf_string(decoder, grammar.name, grammar.jsgf) == 0 else {
            throw .grammarRejected(name: grammar.name, reason: "pocketsphinx could not compile the JSGF (syntax, or words missing from the dictionary)")
        }
        registered.insert(grammar.name)
    }

    func select(_ search: String) throws(SpeechError) {
        guard ps_set_search(decoder, search) == 0 else { throw .grammarRejected(name: search, reason: "ps_set_search failed") }
    }

    func selectLanguageModel() throws(SpeechError) {
        guard ps_set_search(decoder, languageModelSearch) == 0 else {
            throw .engineFailure("ps_set_search(\(languageModelSearch)) failed")
        }
    }
}
