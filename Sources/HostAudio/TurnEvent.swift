/// What `TurnDetector` reports; times are stream milliseconds (samples received since the start of
/// the stream), the contract's `at_ms` of `speech_started` / `speech_stopped`.
public enum TurnEvent: Sendable, Equatable {
    /// Speech began at this time (the onset of the first speech frame, not the later moment the
    /// minimum speech duration confirmed it).
    case speechStarted(atMilliseconds: Int)
    /// The turn ended at this time (after `silenceMilliseconds` of non-speech, or at the maximum
    /// length). `utterance` runs from `prefixPaddingMilliseconds` before the onset to this time,
    /// trailing silence included, at the detector's sample rate.
    case speechStopped(atMilliseconds: Int, utterance: [Int16])
}
