/// Backchannels: what a listener says to show they are listening ("uh-huh", "okay", "right").
/// With semantic turn detection, a caller's utterance during agent playback that is only
/// backchannels (or no words at all: a cough, a click, a breath) does not stop the agent and is
/// not a turn; anything else ("wait", "no, stop", "actually I wanted…") is a request and does.
/// Per tenant: `turn_detection.backchannels` adds phrases to `defaults` (docs/voice.md).
public struct Backchannels: Sendable, Equatable {
    public static let defaults = ["uh huh", "uh-huh", "mm hmm", "mm-hmm", "mhm", "hmm", "okay", "ok", "yeah", "yes",
                                  "yep", "right", "sure", "alright", "all right", "i see", "got it", "cool", "great",
                                  // Fillers and hesitations are not requests either (a partial "uh" of "uh-huh").
                                  "uh", "um", "mm", "oh", "ah", "huh"]
    /// What the language model learns to hear: the spoken backchannels, not lone fillers ("hmm"
    /// in the model turns up at the end of ordinary utterances, heard in a breath). "great" is
    /// here because without it neither hearing had the word: the model heard flite's "great" as
    /// "upgrade" and the overlap grammar as the interruption "wait", and it stopped the agent
    /// (`DefaultBackchannelsTests`). "mhm" for the same reason: the dictionary's "mm hmm" is a hum
    /// without a vowel (M, HH M), but the hum as people — and flite and espeak-ng — say it opens on
    /// one (AH M HH AH M, the dictionary's "mhm"); without the word, flite's hum was heard "i'm
    /// behind" and "how and in on", a request (`DefaultBackchannelsTests`, docs/benchmarks.md).
    public static let languageModelPhrases = ["uh huh", "mm hmm", "mhm", "okay", "yeah", "right", "all right", "got it", "i see", "sure", "yep",
                                              "great"]

    /// What a caller says to stop the agent. Heard by the overlap grammar's second opinion
    /// (`RecognitionGrammar.overlap`), these stop it even when the language model heard only
    /// function words ("wait" → "for a").
    public static let interruptions = ["wait", "stop", "no", "hold on", "hang on", "sorry", "excuse me", "actually", "pardon"]
    /// How requests said over the agent start; heard by the second opinion, they stop the agent
    /// only when the language model also heard a request.
    public static let requestOpenings = ["i have", "i want", "i need", "can you", "could you", "please", "what", "how", "why", "one moment",
                                         "just a second"]

    /// Backchannel phrases as word sequences, longest first (so "all right" wins over "all").
    public let phrases: [[String]]

    public init(extra: [String] = []) {
        let all = Set((Self.defaults + extra).map(SpokenText.words).filter { !$0.isEmpty }.map { $0.joined(separator: " ") })
        phrases = all.map { $0.split(separator: " ").map(String.init) }.sorted { $0.count > $1.count || ($0.count == $1.count && $0.joined() < $1.joined()) }
    }

    /// Every word the phrases use (so the language model can hear them).
    public var vocabulary: Set<String> { Set(phrases.joined()) }

    /// True when `transcript` is made only of backchannel phrases (repeats allowed: "yeah yeah").
    /// An empty transcript is noise, not a backchannel: see `isRequest`.
    public func isBackchannel(_ transcript: String) -> Bool {
        var words = SpokenText.words(transcript)[...]
        guard !words.isEmpty, words.count <= 6 else { return false }
        while !words.isEmpty {
            guard let phrase = phrases.first(where: { words.starts(with: $0) }) else { return false }
            words = words.dropFirst(phrase.count)
        }
        return true
    }

    /// Whether an utterance heard during agent playback should stop the agent: it has words and
    /// they are not all backchannels.
    /// A lone function word ("the", "a", "and") is what the recogniser makes of a breath or a
    /// cough far more often than what a caller says: words like these do not make a request.
    public func isRequest(_ transcript: String) -> Bool {
        let words = SpokenText.words(transcript)
        guard !words.isEmpty, !isBackchannel(transcript) else { return false }
        let known = vocabulary
        return words.contains { !known.contains($0) && !TurnCompletionModel.danglingWords.contains($0) && !Self.pronouns.contains($0) }
    }

    /// Pronouns make no request on their own either. Measured on espeak-ng's voices (`voice turns
    /// --list`): the language model hears a quick "okay", "mm hmm" or "uh huh yeah" as "you", "okay
    /// you", "are you" — words that are not backchannels, so they stopped the agent. A request
    /// still has a word of its own ("can you *help*", "*excuse* me").
    static let pronouns: Set<String> = ["it", "you", "me", "we", "us", "they", "them", "he", "she", "him", "her", "that", "this"]

    /// Whether an utterance over the agent is a request, given the language model's `transcript`
    /// and the overlap grammar's `secondOpinion` of the same audio (nil: the engine gave none, and
    /// the transcript alone decides). The grammar vetoes: when it heard only backchannels, or
    /// nothing, the utterance is none. An interruption it heard ("wait", "hold on") is one even
    /// when the language model heard function words; anything else needs both to agree.
    public func isRequest(_ transcript: String, secondOpinion: String?) -> Bool {
        guard let secondOpinion else { return isRequest(transcript) }
        let judged = SpokenText.words(secondOpinion)
        guard !judged.isEmpty, !isBackchannel(secondOpinion) else { return false }
        // "yeah, hold on": the interruption after a backchannel counts too.
        var rest = judged[...]
        while let phrase = phrases.first(where: { rest.starts(with: $0) }) { rest = rest.dropFirst(phrase.count) }
        if Self.interruptionPhrases.contains(where: { rest.starts(with: $0) }) { return true }
        return isRequest(transcript)
    }

    static let interruptionPhrases = interruptions.map { $0.split(separator: " ").map(String.init) }
}
