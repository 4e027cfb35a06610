/// How well a recogniser's hypothesis fits the tenant's own language (docs/voice.md, "Semantic
/// turn detection"): the mean log10 probability per word of the hypothesis, its end included,
/// under the same n-gram model the decoder searched with.
///
/// Why the completeness model asks: a hypothesis is a request only as far as it was heard right.
/// Misrecognised audio comes out as words the decoder could not fit together ("what i'm where is
/// full hi" for "my order number is four five", "i can't a question on file"), which end on a
/// content word and so looked complete — a premature cut, the caller's request lost mid-sentence.
/// Such a string is improbable under the tenant's model, word after word; a request heard right
/// is not. When the fit is poor the pause is left to the maximum silence: a late cut costs under
/// a second, a premature one the request.
///
/// A value built once per tenant from its `DomainLanguageModel` (the table, not the decoder):
/// immutable, shared by every call; a score is a few dictionary look-ups per word (~µs).
public struct LanguageFit: Sendable {
    let model: DomainLanguageModel
    /// Hypotheses whose mean log10 probability per word (end of sentence included) is below this
    /// are not judged complete. Chosen on the flite voice and espeak-ng's `en-us` of
    /// `agent-host-bench voice turns` and checked on the held-out `en-us+f3` (docs/benchmarks.md):
    /// stricter (-1.6) caught more misheard pauses but also requests heard right in words the
    /// tenant's phrases put together differently ("what is your shipping policy": -1.78, "i was
    /// charged the wrong amount": -1.87), which then waited for the maximum silence.
    public var minimumMeanLogProbability: Double

    public static let defaultMinimumMeanLogProbability = -1.9
    /// At or above this probability of the completeness model the fit is not asked: the fit is
    /// relative to how many phrases a tenant ships, so on its own it would hold back requests a
    /// small tenant's phrases never put that way (`SemanticTurnTests`: "what is your shipping
    /// policy" waited for the maximum on the test tenant).
    public static let confidentProbability = 0.9

    public init(model: DomainLanguageModel, minimumMeanLogProbability: Double = defaultMinimumMeanLogProbability) {
        self.model = model
        self.minimumMeanLogProbability = minimumMeanLogProbability
    }

    /// Mean log10 P(word | history) over `words` and the end of sentence, from the start of a
    /// sentence; nil for no words. A word outside the model counts as very improbable.
    public func meanLogProbability(_ words: [String]) -> Double? {
        guard !words.isEmpty else { return nil }
        var history = [DomainLanguageModel.beginSentence]
        var total = 0.0
        for word in words + [DomainLanguageModel.endSentence] {
            var logProbability = max(model.logProbability(of: word, after: history), -10)
            // Which digit comes next carries no fluency: the model spreads a digit's mass over
            // all ten on purpose (any order number is as likely), so a digit is scored as "a
            // digit here" — its class's probability, at most certain.
            if Self.digits.contains(word) { logProbability = min(logProbability + 1, 0) }
            total += logProbability
            history.append(word)
        }
        return total / Double(words.count + 1)
    }

    static let digits = Set(SpokenText.digitWords + ["oh"])

    /// log10 P(end of sentence | the last words): how often the tenant's phrases end like this.
    public func endLogProbability(_ words: [String]) -> Double {
        model.logProbability(of: DomainLanguageModel.endSentence, after: [DomainLanguageModel.beginSentence] + words)
    }

    /// Whether the hypothesis fits well enough to be trusted as a complete request.
    public func fits(_ words: [String]) -> Bool {
        guard let mean = meanLogProbability(words) else { return false }
        return mean >= minimumMeanLogProbability
    }
}
