/// Server-VAD turn detection settings (docs/protocol.md §2 defaults; configurable per tenant).
public struct TurnDetectionSettings: Sendable, Equatable, Hashable {
    /// A frame is speech when its probability is at least this (0...1); higher needs louder speech.
    public var threshold: Double
    /// Audio kept from before the speech onset, so the recogniser hears the first word's attack.
    public var prefixPaddingMilliseconds: Int
    /// Continuous non-speech that ends a turn (the hangover over pauses between words).
    public var silenceMilliseconds: Int
    /// Speech needed before a turn starts, so clicks and pops do not start one.
    public var minimumSpeechMilliseconds: Int
    /// A turn longer than this (prefix included) is stopped anyway: bounds memory and latency.
    public var maximumUtteranceMilliseconds: Int

    public init(
        threshold: Double = 0.5,
        prefixPaddingMilliseconds: Int = 300,
        silenceMilliseconds: Int = 800,
        minimumSpeechMilliseconds: Int = 80,
        maximumUtteranceMilliseconds: Int = 30_000
    ) {
        self.threshold = threshold
        self.prefixPaddingMilliseconds = prefixPaddingMilliseconds
        self.silenceMilliseconds = silenceMilliseconds
        self.minimumSpeechMilliseconds = minimumSpeechMilliseconds
        self.maximumUtteranceMilliseconds = maximumUtteranceMilliseconds
    }
}
