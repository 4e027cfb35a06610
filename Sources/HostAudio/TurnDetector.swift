/// The server-VAD turn state machine over a stream of frames (20 ms recommended, any size accepted).
///
/// Idle: every frame goes into a short history. A run of speech frames (probability ≥ threshold;
/// one non-speech frame of up to 20 ms inside the run is tolerated) lasting `minimumSpeechMilliseconds`
/// starts a turn: `.speechStarted(at: onset of the run)`, and the utterance is seeded from the
/// history with `prefixPaddingMilliseconds` of audio before the onset. Speaking: frames accumulate;
/// `silenceMilliseconds` of consecutive non-speech, or the maximum length, ends the turn with
/// `.speechStopped(at: now, utterance)`. Times are stream time, so they do not drift with the loop.
/// Pure computation (no threads, no I/O): one detector per call, fed from the event loop.
public struct TurnDetector: Sendable {
    public let settings: TurnDetectionSettings
    public let sampleRate: Int
    /// The built-in VAD used by `process(_:)`; exposed for diagnostics (level, noise floor).
    public private(set) var vad: EnergyVAD
    public private(set) var isSpeaking = false
    /// Samples received since the start of the stream.
    public private(set) var streamSamples = 0

    private let prefixSamples: Int
    private let minimumSpeechSamples: Int
    private let silenceSamplesToStop: Int
    private let maximumSamples: Int
    private let toleratedGapSamples: Int
    private var history: [Int16] = []     // recent audio, enough for the prefix of a candidate run
    private var historyStart = 0          // stream index of history[0]
    private var runStart: Int?            // stream index where the current candidate speech run began
    private var runSpeechSamples = 0
    private var runGapSamples = 0
    private var utterance: [Int16] = []
    private var silenceSamples = 0

    public init(settings: TurnDetectionSettings = TurnDetectionSettings(), sampleRate: Int = 16_000, vad: EnergyVAD.Configuration? = nil) {
        func samples(_ ms: Int) -> Int { max(0, ms) * sampleRate / 1000 }
        self.settings = settings
        self.sampleRate = sampleRate
        var configuration = vad ?? EnergyVAD.Configuration()
        configuration.sampleRate = sampleRate
        self.vad = EnergyVAD(configuration: configuration)
        prefixSamples = samples(settings.prefixPaddingMilliseconds)
        minimumSpeechSamples = max(1, samples(settings.minimumSpeechMilliseconds))
        silenceSamplesToStop = max(1, samples(settings.silenceMilliseconds))
        maximumSamples = max(1, samples(settings.maximumUtteranceMilliseconds))
        toleratedGapSamples = samples(20)
    }

    public var streamMilliseconds: Int { milliseconds(streamSamples) }

    /// A speech run has begun but is not yet long enough to start a turn. A call holds agent
    /// playback meanwhile, so a barge-in silences the agent within a frame of the caller's onset.
    public var hasCandidateSpeech: Bool { !isSpeaking && runStart != nil }

    /// The turn so far (prefix padding included) while speaking: what a streaming recogniser is
    /// fed at `.speechStarted`, before the frames that follow.
    public var utteranceSoFar: [Int16] { isSpeaking ? utterance : [] }

    /// Non-speech since the caller's last speech frame, while speaking (after a turn ended: the
    /// silence that ended it). What a semantic end-of-turn decision waits on.
    public var trailingSilenceMilliseconds: Int { milliseconds(silenceSamples) }

    /// Ends the turn in progress now (a semantic detector judged it complete before the silence
    /// window ran out); nil when no turn is in progress.
    public mutating func endTurnNow() -> TurnEvent? {
        guard isSpeaking else { return nil }
        let event = TurnEvent.speechStopped(atMilliseconds: streamMilliseconds, utterance: utterance)
        isSpeaking = false
        utterance = []
        return event
    }

    /// Start of a new stream: clock back to zero, noise floor and any turn in progress forgotten.
    public mutating func reset() {
        self = TurnDetector(settings: settings, sampleRate: sampleRate, vad: vad.configuration)
    }

    /// The next frame of the stream, scored by the built-in `EnergyVAD`.
    public mutating func process(_ frame: [Int16]) -> TurnEvent? {
        let probability = vad.probability(frame)
        return process(frame, speechProbability: probability)
    }

    /// The next frame with a probability from another VAD (e.g. WebRTC's).
    public mutating func process(_ frame: [Int16], speechProbability: Double) -> TurnEvent? {
        let frameStart = streamSamples
        streamSamples += frame.count
        remember(frame)
        let speech = speechProbability >= settings.threshold
        if isSpeaking {
            utterance.append(contentsOf: frame)
            silenceSamples = speech ? 0 : silenceSamples + frame.count
            guard silenceSamples >= silenceSamplesToStop || utterance.count >= maximumSamples else { return nil }
            let event = TurnEvent.speechStopped(atMilliseconds: streamMilliseconds, utterance: utterance)
            isSpeaking = false
            utterance = []
            return event
        }
        if speech {
            if runStart == nil { (runStart, runSpeechSamples) = (frameStart, 0) }
            runSpeechSamples += frame.count
            runGapSamples = 0
        } else if runStart != nil {
            runGapSamples += frame.count
            if runGapSamples > toleratedGapSamples { runStart = nil }
        }
        guard let onset = runStart, runSpeechSamples >= minimumSpeechSamples else { return nil }
        let from = max(onset - prefixSamples, historyStart)
        utterance = Array(history[(from - historyStart)...])
        utterance.reserveCapacity(min(maximumSamples, utterance.count + sampleRate * 4))
        isSpeaking = true
        silenceSamples = 0
        runStart = nil
        return .speechStarted(atMilliseconds: milliseconds(onset))
    }

    /// Keeps the prefix before the candidate run's onset (or before now), trimming in batches so
    /// the cost per sample stays constant.
    private mutating func remember(_ frame: [Int16]) {
        history.append(contentsOf: frame)
        // Before this frame: it may be the onset of a run, whose prefix ends where the frame begins.
        let keepFrom = (runStart ?? streamSamples - frame.count) - prefixSamples
        let excess = keepFrom - historyStart
        if excess > max(prefixSamples, frame.count) {
            history.removeFirst(excess)
            historyStart += excess
        }
    }

    private func milliseconds(_ samples: Int) -> Int { samples * 1000 / sampleRate }
}
