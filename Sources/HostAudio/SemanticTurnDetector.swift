/// `turn_detection: {mode: semantic}` settings: the silence after which the meaning of what was
/// said is asked about, and the silence that ends a turn whatever it means.
public struct SemanticTurnSettings: Sendable, Equatable, Hashable {
    /// Silence after which a turn whose transcript is a complete request ends (250 ms default).
    public var minimumSilenceMilliseconds: Int
    /// Silence that ends a turn even when it sounds unfinished (1200 ms default).
    public var maximumSilenceMilliseconds: Int
    /// `prosody:` (default true): a complete transcript whose voice does not sound finished at the
    /// pause (`TurnProsody`) waits for the maximum silence.
    public var prosody: Bool

    public init(minimumSilenceMilliseconds: Int = 250, maximumSilenceMilliseconds: Int = 1_200, prosody: Bool = true) {
        self.minimumSilenceMilliseconds = minimumSilenceMilliseconds
        self.maximumSilenceMilliseconds = max(maximumSilenceMilliseconds, minimumSilenceMilliseconds)
        self.prosody = prosody
    }
}

/// End of turn from meaning (docs/voice.md, "Semantic turn detection"): the server VAD's state
/// machine (`TurnDetector`, with the maximum silence as its window) plus one question. Once a
/// silence run inside a turn reaches the minimum, the detector asks — `.judge(id)` — whether the
/// transcript so far is a complete request; the call answers with `judged(id:complete:)` when
/// the recogniser's hypothesis and the completeness model have said. A complete verdict for the
/// silence run still in progress ends the turn at once; an incomplete one (or speech resuming,
/// which makes the verdict stale) leaves the maximum silence to end it.
///
/// A pure value: frames and verdicts in, events out; no clock but the stream's, no threads.
public struct SemanticTurnDetector: Sendable {
    public enum Output: Sendable, Equatable {
        case event(TurnEvent)
        /// Ask whether the turn so far is complete; answer with `judged(id:complete:)`.
        case judge(id: Int)
    }

    public let semantic: SemanticTurnSettings
    public private(set) var detector: TurnDetector
    /// Identifies the current silence run inside a turn; a verdict for another run is stale.
    private var silenceRun = 0
    private var askedRun: Int?
    private var completeRun: Int?

    public init(settings: TurnDetectionSettings = TurnDetectionSettings(), semantic: SemanticTurnSettings = SemanticTurnSettings(),
                sampleRate: Int = 16_000) {
        var vadSettings = settings
        vadSettings.silenceMilliseconds = semantic.maximumSilenceMilliseconds
        self.semantic = semantic
        detector = TurnDetector(settings: vadSettings, sampleRate: sampleRate)
    }

    public var isSpeaking: Bool { detector.isSpeaking }
    public var hasCandidateSpeech: Bool { detector.hasCandidateSpeech }
    public var utteranceSoFar: [Int16] { detector.utteranceSoFar }
    public var trailingSilenceMilliseconds: Int { detector.trailingSilenceMilliseconds }
    /// The last `milliseconds` of the turn so far (what `TurnProsody` reads at a pause): a copy of
    /// at most that much audio, cheap enough for the loop.
    public func utteranceTail(milliseconds: Int) -> [Int16] {
        Array(detector.utteranceSoFar.suffix(milliseconds * detector.sampleRate / 1_000))
    }

    /// The next frame of the stream (scored by the built-in VAD).
    public mutating func process(_ frame: [Int16]) -> Output? {
        let event = detector.process(frame)
        return decide(after: event)
    }

    /// The next frame with a probability from another VAD (tests feed probabilities directly).
    public mutating func process(_ frame: [Int16], speechProbability: Double) -> Output? {
        let event = detector.process(frame, speechProbability: speechProbability)
        return decide(after: event)
    }

    private mutating func decide(after event: TurnEvent?) -> Output? {
        if let event {
            if case .speechStopped = event { forgetRun() }
            return .event(event)
        }
        guard detector.isSpeaking else { return nil }
        let silence = detector.trailingSilenceMilliseconds
        if silence == 0 {
            if askedRun == silenceRun { silenceRun += 1 }  // speech resumed: the question is stale
            return nil
        }
        guard silence >= semantic.minimumSilenceMilliseconds else { return nil }
        if completeRun == silenceRun { return endNow() }
        guard askedRun != silenceRun else { return nil }
        askedRun = silenceRun
        return .judge(id: silenceRun)
    }

    /// Whether `.judge(id)` asked about the silence still running (speech has not resumed since).
    public func isCurrent(judge id: Int) -> Bool { id == silenceRun && detector.isSpeaking }

    /// The answer to `.judge(id)`: a complete verdict for the silence still running ends the turn
    /// now (returned); otherwise nothing happens and the maximum silence decides.
    public mutating func judged(id: Int, complete: Bool) -> TurnEvent? {
        guard id == silenceRun, complete, detector.isSpeaking else { return nil }
        guard detector.trailingSilenceMilliseconds >= semantic.minimumSilenceMilliseconds else {
            completeRun = id  // not reachable today (asked at the minimum), kept for safety
            return nil
        }
        if case .event(let event)? = endNow() { return event }
        return nil
    }

    /// Ends the turn in progress now (hang-up mid-utterance).
    public mutating func reset() {
        detector.reset()
        forgetRun()
    }

    private mutating func endNow() -> Output? {
        guard let event = detector.endTurnNow() else { return nil }
        forgetRun()
        return .event(event)
    }

    private mutating func forgetRun() {
        silenceRun += 1
        askedRun = nil
        completeRun = nil
    }
}
