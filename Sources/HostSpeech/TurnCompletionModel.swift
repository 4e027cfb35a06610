import Foundation

/// "Is this a complete request?" for semantic end of turn (docs/voice.md): a logistic regression
/// over hashed word n-gram and ending features of the streaming transcript, trained at tenant load
/// from the complete examples the tenant's plugins ship plus incomplete fragments generated from
/// them (every proper prefix, a trailing "and" / "um", an order number missing digits). A few
/// hard rules the data cannot be trusted to learn come first: an empty transcript, a transcript
/// ending in a filler, conjunction, article or preposition, or a digit string shorter than the slot
/// it fills is never complete. Closed prompts are decided by their grammar (`isComplete(_:grammar:)`).
///
/// A value: immutable after training, safe to share between calls and threads. A decision costs a
/// few microseconds (`agent-host-bench voice latency --mode semantic` reports it).
public struct TurnCompletionModel: Sendable {
    static let dimension = 1 << 12
    /// Words after which nobody ends a request.
    public static let danglingWords: Set<String> = [
        "and", "or", "but", "so", "because", "um", "uh", "er", "erm", "hmm", "the", "a", "an", "my", "your", "to", "for",
        "of", "is", "are", "was", "with", "about", "from", "in", "on", "at", "i", "it's", "its", "if", "then",
        "also", "actually", "which", "when", "where", "how", "why", "can", "could",
    ]
    /// Said alone, these are fragments.
    static let lonelyFragments: [[String]] = [["well"], ["i", "need"], ["i", "want"], ["can", "you"], ["i'd", "like"], ["what", "is"], ["i", "have"]]

    private let weights: [Float]
    /// The tenant's language, to tell a request heard right from misrecognised audio (nil: the
    /// model and rules alone decide). See `LanguageFit`.
    public var languageFit: LanguageFit?
    /// The longest digit run in the complete examples (5 for ORD-12345): shorter trailing runs are
    /// incomplete.
    public let slotDigits: Int
    public let report: Report

    /// What training saw and how well the model fits it.
    public struct Report: Sendable, Equatable {
        public var complete: Int
        public var incomplete: Int
        /// Share of the training set the model (rules included) gets right.
        public var trainingAccuracy: Double
        public var seconds: Double
    }

    /// Trains on `completeExamples` (written phrases, normalised like the language model's) and
    /// fragments generated from them.
    public static func train(completeExamples: [String], slotDigits: Int = 5, epochs: Int = 12) -> TurnCompletionModel {
        let started = monotonicSeconds()
        let (complete, incomplete) = trainingSet(completeExamples, slotDigits: slotDigits)
        let samples = complete.map { (Self.features($0, slotDigits: slotDigits), Float(1)) }
            + incomplete.map { (Self.features($0, slotDigits: slotDigits), Float(0)) }
        // Class weights so a tenant with many fragments per example is not biased to "wait".
        let positiveWeight = Float(incomplete.count) / Float(max(complete.count, 1))
        var weights = [Float](repeating: 0, count: dimension)
        var order = Array(samples.indices)
        var generator: UInt64 = 0x2545_F491_4F6C_DD1D
        for epoch in 0..<epochs {
            // Deterministic shuffle: the same tenant always gets the same model.
            for i in order.indices.reversed() where i > 0 {
                generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                order.swapAt(i, Int((generator >> 33) % UInt64(i + 1)))
            }
            let rate = Float(0.3) / Float(1 + epoch)
            for index in order {
                let (features, label) = samples[index]
                var z: Float = 0
                for f in features { z += weights[f] }
                let error = label - 1 / (1 + exp(-z))
                let step = rate * error * (label == 1 ? positiveWeight : 1)
                for f in features { weights[f] += step - 1e-4 * weights[f] }
            }
        }
        var model = TurnCompletionModel(weights: weights, slotDigits: slotDigits,
                                        report: Report(complete: complete.count, incomplete: incomplete.count, trainingAccuracy: 0, seconds: 0))
        let right = complete.filter { model.isComplete(words: $0) }.count + incomplete.filter { !model.isComplete(words: $0) }.count
        model = TurnCompletionModel(weights: weights, slotDigits: slotDigits,
                                    report: Report(complete: complete.count, incomplete: incomplete.count,
                                                   trainingAccuracy: Double(right) / Double(max(samples.count, 1)),
                                                   seconds: monotonicSeconds() - started))
        return model
    }

    private init(weights: [Float], slotDigits: Int, report: Report) {
        self.weights = weights
        self.slotDigits = slotDigits
        self.report = report
    }

    /// Probability that `transcript` (recogniser output: lower-case words) is a complete request,
    /// by the learned weights alone (no rules).
    public func probability(_ transcript: String) -> Double {
        probability(words: SpokenText.words(transcript))
    }

    /// The decision: rules first, then the model at 0.5. With a closed prompt's grammar, the
    /// grammar decides (an order id is complete with all its digits; yes/no with any answer; a
    /// digit string of unknown length never early — the maximum silence ends it).
    public func isComplete(_ transcript: String, grammar: RecognitionGrammar? = nil) -> Bool {
        let words = SpokenText.words(transcript)
        if let grammar { return Self.grammarComplete(words, grammar: grammar) }
        return isComplete(words: words)
    }

    func isComplete(words: [String]) -> Bool {
        guard let last = words.last, !Self.danglingWords.contains(last) else { return false }
        if Self.lonelyFragments.contains(words) { return false }
        let run = Self.trailingDigitRun(words)
        if run > 0, run < slotDigits { return false }
        if Self.awaitsAnID(words) { return false }
        let probability = probability(words: words)
        // The fit breaks a doubtful verdict only: a request the model is sure of is not held back
        // because the tenant's phrases put its words together differently (a tenant with few
        // phrases scores every unseen phrasing low: "what is your shipping policy").
        if probability < LanguageFit.confidentProbability, let languageFit, !languageFit.fits(words) { return false }
        return probability >= 0.5
    }

    private func probability(words: [String]) -> Double {
        var z: Float = 0
        for f in Self.features(words, slotDigits: slotDigits) { z += weights[f] }
        return Double(1 / (1 + exp(-z)))
    }

    static func grammarComplete(_ words: [String], grammar: RecognitionGrammar) -> Bool {
        let digits = words.filter { SpokenText.digitWords.contains($0) || $0 == "oh" }.count
        if grammar.name == "orderid" {
            // The public rule names <digit> once per digit; the private rule's definition once more.
            let wanted = grammar.jsgf.components(separatedBy: "<digit>").count - 2
            return digits >= max(wanted, 1)
        }
        if grammar.name.hasPrefix("digits"), let count = Int(grammar.name.dropFirst("digits".count)) { return digits >= count }
        if grammar.name == "digits" { return false }
        return !words.isEmpty
    }

    // MARK: features

    static func features(_ words: [String], slotDigits: Int) -> [Int] {
        let tokens = words.map { SpokenText.digitWords.contains($0) || $0 == "oh" ? "<d>" : $0 }
        var names = ["bias", "n=\(min(tokens.count, 8))"]
        let run = trailingDigitRun(words)
        names.append("dr=\(min(run, 6))")
        if run > 0 { names.append(run < slotDigits ? "dr<slot" : "dr>=slot") }
        if let last = tokens.last {
            names.append("L1=" + last)
            // Generalises to endings the tenant's phrases never had ("... policy").
            names.append(danglingWords.contains(last) ? "last:function" : "last:content")
        }
        if tokens.count >= 2 { names.append("L2=" + tokens.suffix(2).joined(separator: " ")) }
        if tokens.count >= 3 { names.append("L3=" + tokens.suffix(3).joined(separator: " ")) }
        if let first = tokens.first { names.append("F=" + first) }
        for token in Set(tokens) { names.append("W=" + token) }
        return names.map(hash)
    }

    /// What the recogniser often writes for a digit inside a run ("four five" → "for five").
    static let digitHomophones: Set<String> = ["for", "to", "too", "won", "ate", "a", "oh"]

    /// Digits at the end, a homophone counting when a digit follows it ("for five six").
    static func trailingDigitRun(_ words: [String]) -> Int {
        var run = 0
        for word in words.reversed() {
            if SpokenText.digitWords.contains(word) || word == "oh" { run += 1; continue }
            guard run > 0, digitHomophones.contains(word) else { break }
            run += 1
        }
        return run
    }

    /// "... for order" / "order number": an id is coming.
    static func awaitsAnID(_ words: [String]) -> Bool {
        guard let last = words.last else { return false }
        if last == "number" { return true }
        // "for a order" is nobody's English: it is "for order" with a breath heard as "a".
        return last == "order" && words.count >= 2 && ["for", "is", "order", "a"].contains(words[words.count - 2])
    }

    /// Words the tenant's own complete examples use at least three times inside a phrase and
    /// rarely last — at most one time in five ("return" in "I want to return the chair", "... return
    /// it", "... return something", last only in "start a return"): a pause after one is a pause
    /// inside a request ("I want to return … the lamp"). Learned per tenant, so a plugin whose
    /// callers say "I want to cancel" does not teach the model to wait after "cancel".
    static func wordsThatNeverEnd(_ complete: [[String]]) -> Set<String> {
        var inside: [String: Int] = [:], last: [String: Int] = [:]
        for phrase in complete {
            guard let final = phrase.last else { continue }
            last[final, default: 0] += 1
            for word in phrase.dropLast() { inside[word, default: 0] += 1 }
        }
        return Set(inside.filter { word, count in
            count >= 3 && (last[word] ?? 0) * 5 <= count && !SpokenText.digitWords.contains(word)
        }.keys)
    }

    /// FNV-1a into the weight table.
    static func hash(_ name: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return Int(h % UInt64(dimension))
    }

    // MARK: training data

    /// Replies callers give to an agent's questions, complete though no plugin lists them.
    static let answers = ["yes", "no", "yes please", "no thanks", "that's right", "thank you", "goodbye", "that's all",
                          "it arrived damaged", "it's broken", "the wrong size"]

    /// Complete examples (the tenant's phrases, the common answers, order ids said in full) and
    /// generated incomplete fragments.
    static func trainingSet(_ examples: [String], slotDigits: Int) -> (complete: [[String]], incomplete: [[String]]) {
        let digitWords = SpokenText.digitWords
        let fullDigits = Array(digitWords[1...min(slotDigits, 9)])
        var complete = (examples + answers).map(SpokenText.words).filter { !$0.isEmpty }
        for intro in [["order"], ["my", "order", "number", "is"], ["it's"], ["the", "order", "number", "is"], []] {
            complete.append(intro + fullDigits)
        }
        let completeSet = Set(complete.map { $0.joined(separator: " ") })
        var incomplete: [[String]] = []
        let openEnded = wordsThatNeverEnd(complete)
        let tails = ["and", "um", "so", "but", "because", "uh"]
        for (index, phrase) in complete.enumerated() {
            // Prefixes a caller pauses in: after a word that cannot end a request, within the first
            // two words, or inside a number. A prefix ending on a content word ("i need a refund"
            // of "... for order ...") is left out: it may well be the whole request, and calling it
            // incomplete would teach the model to wait after every noun.
            for k in 1..<max(phrase.count, 1) where !completeSet.contains(phrase.prefix(k).joined(separator: " ")) {
                let prefix = Array(phrase.prefix(k))
                let run = trailingDigitRun(prefix)
                if k <= 2 || danglingWords.contains(prefix[k - 1]) || openEnded.contains(prefix[k - 1]) || (run > 0 && run < slotDigits) {
                    incomplete.append(prefix)
                }
            }
            incomplete.append(phrase + [tails[index % tails.count]])
        }
        for intro in [["order"], ["my", "order", "number", "is"], ["it's"], ["order", "number"]] {
            for k in 0..<fullDigits.count { incomplete.append(intro + fullDigits.prefix(k)) }
        }
        incomplete += lonelyFragments + [["um"], ["uh"], ["so"], ["and"], ["actually"]]
        return (complete, incomplete)
    }
}

/// The semantic end-of-turn verdict for a call: the tenant's model when it has one, else the
/// model's rules alone (a tenant whose voice services were built without one).
public enum TurnCompletion {
    public static func isComplete(_ transcript: String, model: TurnCompletionModel?, grammar: RecognitionGrammar?) -> Bool {
        if let model { return model.isComplete(transcript, grammar: grammar) }
        let words = SpokenText.words(transcript)
        if let grammar { return TurnCompletionModel.grammarComplete(words, grammar: grammar) }
        guard let last = words.last, !TurnCompletionModel.danglingWords.contains(last) else { return false }
        let run = TurnCompletionModel.trailingDigitRun(words)
        return run == 0 || run >= 5
    }
}
