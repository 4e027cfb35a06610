import Foundation

/// Pronunciations for a set of words, read from a CMU-format dictionary ("word PH O NES",
/// variants as "word(2) ..."). Decoders load a small lexicon much faster than all of cmudict.
public struct PronunciationLexicon: Sendable, Equatable {
    /// word → its pronunciations (phone strings), in dictionary order.
    public private(set) var entries: [String: [String]]

    public init(entries: [String: [String]] = [:]) { self.entries = entries }

    /// The pronunciations of `words` found in the dictionary at `path` (one pass over the file).
    public static func load(path: String, words: Set<String>) throws(SpeechError) -> PronunciationLexicon {
        guard let data = FileManager.default.contents(atPath: path) else { throw .modelNotFound(path) }
        var entries: [String: [String]] = [:]
        guard !words.isEmpty else { return PronunciationLexicon() }
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), paren = UInt8(ascii: "(")
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != newline { lineEnd += 1 }
                var headEnd = lineStart
                while headEnd < lineEnd && bytes[headEnd] != space && bytes[headEnd] != tab { headEnd += 1 }
                var wordEnd = headEnd
                // "word(2)" is a variant of "word".
                if wordEnd > lineStart, bytes[wordEnd - 1] == UInt8(ascii: ")"),
                   let open = (lineStart..<wordEnd).last(where: { bytes[$0] == paren }), open > lineStart {
                    wordEnd = open
                }
                if wordEnd > lineStart {
                    let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<wordEnd]), as: UTF8.self)
                    if words.contains(word) {
                        let phones = String(decoding: UnsafeBufferPointer(rebasing: bytes[headEnd..<lineEnd]), as: UTF8.self)
                            .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
                        if !phones.isEmpty { entries[word, default: []].append(phones) }
                    }
                }
                lineStart = lineEnd + 1
            }
        }
        return PronunciationLexicon(entries: entries)
    }

    public func contains(_ word: String) -> Bool { entries[word] != nil }
    public var words: Set<String> { Set(entries.keys) }

    /// Adds (or replaces) a word's pronunciations, e.g. a product name cmudict lacks.
    public mutating func set(_ word: String, pronunciations: [String]) { entries[word] = pronunciations }

    /// Merges another lexicon (its entries win).
    public func merging(_ other: PronunciationLexicon) -> PronunciationLexicon {
        PronunciationLexicon(entries: entries.merging(other.entries) { _, new in new })
    }

    /// The lexicon in the decoder's dictionary format, sorted.
    public var dictionaryText: String {
        var lines: [String] = []
        for word in entries.keys.sorted() {
            for (index, phones) in entries[word]!.enumerated() {
                lines.append(index == 0 ? "\(word) \(phones)" : "\(word)(\(index + 1)) \(phones)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A small n-gram language model built from a tenant's phrases (routing examples, FAQ questions,
/// vocabulary), written as ARPA text for the decoder. Instead of the general English model it
/// cuts pocketsphinx's word error on support requests: measured on flite speech 14.5% → 6.5%
/// (HostSpeechTests), on espeak speech ~70% → 2-17% (docs' platform notes).
///
/// Estimation: Witten-Bell, interpolated with the lower orders and stored in backoff form (the
/// probability of every seen n-gram is the interpolated one; the backoff weight of a history h
/// is T(h) / (c(h) + T(h)), T = number of distinct followers), as SRILM's `-wbdiscount
/// -interpolate`. Unigrams are interpolated with a uniform distribution over the vocabulary, so
/// extra vocabulary (digits, letters) gets a small probability without example sentences.
/// Phrases with order numbers are also counted with other digits (fractional counts), so a
/// caller's own number is as likely as the example's. Sentences are wrapped in `<s>` ...
/// `</s>`; probabilities are log10.
public struct DomainLanguageModel: Sendable {
    public let order: Int
    /// Words of the model (sorted), without `<s>` and `</s>`.
    public let vocabulary: [String]
    /// Normalised words with no pronunciation, and how often they occurred; they were dropped
    /// from the phrases (add them through `pronunciations` to keep them).
    public let outOfVocabulary: [String: Int]
    /// Phrases the model was trained on, as normalised word sequences.
    public let sentences: [[String]]
    /// Pronunciations of every word in `vocabulary` plus `dictionaryOnlyWords`.
    public let lexicon: PronunciationLexicon
    /// The model in ARPA format.
    public let arpa: String
    /// Seconds spent building (dictionary lookup included).
    public let buildSeconds: Double

    /// n-gram (as words) → (log10 probability, log10 backoff weight or nil).
    let table: [[String]: (logProbability: Double, logBackoff: Double?)]

    public static let beginSentence = "<s>"
    public static let endSentence = "</s>"

    /// Builds a model.
    /// - Parameters:
    ///   - phrases: what callers say, in writing; normalised with `SpokenText.words`.
    ///   - order: n-gram order, 1...5 (3, trigram, by default; 2 for very few phrases).
    ///   - extraVocabulary: words known to the model without example sentences (defaults: the
    ///     digit words and "oh", so any order number can be recognised).
    ///   - dictionaryOnlyWords: words put in the lexicon but not the model, for grammars
    ///     (defaults: the standard grammars' words: digits, letters, yes/no).
    ///   - pronunciations: extra words (brand names) and their phones, e.g. ["acme": "AE K M IY"].
    ///   - digitVariants: for each phrase with a run of spoken digits (an order number), this
    ///     many copies with other digits, together weighing as much as the phrase, so that any
    ///     digit sequence after "order" is likely, not only the example's (0 turns it off).
    ///   - dictionaryPath: the CMU dictionary the vocabulary is restricted to.
    public static func build(phrases: [String], order: Int = 3,
                             extraVocabulary: [String] = SpokenText.digitWords + ["oh"],
                             dictionaryOnlyWords: Set<String> = RecognitionGrammar.standardVocabulary,
                             pronunciations: [String: String] = [:],
                             digitVariants: Int = 10,
                             dictionaryPath: String = PocketSphinxModel.standard.dictionaryPath) throws(SpeechError) -> DomainLanguageModel {
        let started = monotonicSeconds()
        guard (1...5).contains(order) else { throw .engineFailure("language model order \(order) unsupported") }
        let normalised = phrases.map(SpokenText.words).filter { !$0.isEmpty }
        let extras = extraVocabulary.flatMap(SpokenText.words)
        var wanted = Set(normalised.joined()).union(extras).union(dictionaryOnlyWords)
        // A hyphenated word cmudict lacks may be read as its parts.
        for word in wanted where word.contains("-") { wanted.formUnion(word.split(separator: "-").map(String.init)) }
        var lexicon = try PronunciationLexicon.load(path: dictionaryPath, words: wanted)
        for (word, phones) in pronunciations {
            lexicon.set(word.lowercased(), pronunciations: [phones.uppercased()])
        }

        var missing: [String: Int] = [:]
        var sentences: [[String]] = []
        for phrase in normalised {
            var kept: [String] = []
            for word in phrase {
                if lexicon.contains(word) { kept.append(word); continue }
                let parts = word.split(separator: "-").map(String.init)
                if parts.count > 1, parts.allSatisfy(lexicon.contains) { kept.append(contentsOf: parts); continue }
                missing[word, default: 0] += 1
            }
            if !kept.isEmpty { sentences.append(kept) }
        }
        let extraKnown = extras.filter(lexicon.contains)
        var weighted = sentences.map { (words: $0, weight: 1.0) }
        if digitVariants > 0 { weighted += digitAugmentation(sentences, variants: digitVariants) }
        var estimator = WittenBellEstimator(order: order, sentences: weighted, extraVocabulary: extraKnown)
        let table = estimator.table()
        let vocabulary = estimator.words.filter { $0 != beginSentence && $0 != endSentence }.sorted()
        // The lexicon the decoder gets: the model's words and the grammar words.
        let keep = Set(vocabulary).union(dictionaryOnlyWords)
        let trimmed = PronunciationLexicon(entries: lexicon.entries.filter { keep.contains($0.key) })
        return DomainLanguageModel(order: order, vocabulary: vocabulary, outOfVocabulary: missing, sentences: sentences,
                                   lexicon: trimmed, arpa: ARPAWriter.write(table: table, order: order),
                                   buildSeconds: monotonicSeconds() - started, table: table)
    }

    /// Copies of the sentences that contain digit runs with the digits replaced
    /// (deterministically, every digit equally often), weighted 1/`variants` each.
    static func digitAugmentation(_ sentences: [[String]], variants: Int) -> [(words: [String], weight: Double)] {
        let digits = SpokenText.digitWords + ["oh"]
        var generator: UInt64 = 0x9E37_79B9_7F4A_7C15
        func nextDigit() -> String {
            generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return SpokenText.digitWords[Int((generator >> 33) % 10)]
        }
        var result: [(words: [String], weight: Double)] = []
        for sentence in sentences where sentence.filter({ digits.contains($0) }).count >= 3 {
            for _ in 0..<variants {
                result.append((sentence.map { digits.contains($0) ? nextDigit() : $0 }, 1.0 / Double(variants)))
            }
        }
        return result
    }

    /// log10 P(word | history) under the backoff model, exactly as the decoder reads the ARPA
    /// file (for tests and diagnostics). Unknown words get -99.
    public func logProbability(of word: String, after history: [String]) -> Double {
        var history = Array(history.suffix(order - 1))
        var backoff = 0.0
        while true {
            if let entry = table[history + [word]] { return backoff + entry.logProbability }
            if history.isEmpty { return -99 }
            backoff += table[history]?.logBackoff ?? 0
            history.removeFirst()
        }
    }

    /// Writes the ARPA model; returns the path.
    public func writeARPA(to path: String) throws(SpeechError) {
        do { try arpa.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw .io("writing \(path): \(error)") }
    }
}

/// Counts and Witten-Bell probabilities over word ids.
struct WittenBellEstimator {
    let order: Int
    private(set) var words: [String] = []
    private var ids: [String: Int] = [:]
    /// counts[n - 1]: n-gram (ids) → count (fractional for augmented sentences).
    private var counts: [[[Int]: Double]]
    /// History (ids, length 1...order-1) → (total follower count, distinct followers).
    private var histories: [[Int]: (total: Double, distinct: Int)] = [:]
    private var memo: [[Int]: Double] = [:]
    private let begin: Int
    private let end: Int

    init(order: Int, sentences: [(words: [String], weight: Double)], extraVocabulary: [String]) {
        self.order = order
        counts = Array(repeating: [:], count: order)
        begin = 0
        end = 1
        words = [DomainLanguageModel.beginSentence, DomainLanguageModel.endSentence]
        ids = [words[0]: 0, words[1]: 1]
        for word in extraVocabulary { _ = id(word) }
        for (sentence, weight) in sentences {
            let tokens = [begin] + sentence.map { id($0) } + [end]
            for n in 1...order {
                // Unigrams never count <s> (it is never predicted).
                for start in (n == 1 ? 1 : 0)...max(tokens.count - n, 0) where start + n <= tokens.count {
                    counts[n - 1][Array(tokens[start..<(start + n)]), default: 0] += weight
                }
            }
        }
        for n in 2..<(order + 1) where n <= order {
            for (gram, count) in counts[n - 1] {
                let history = Array(gram.dropLast())
                let stats = histories[history] ?? (0, 0)
                histories[history] = (stats.total + count, stats.distinct + 1)
            }
        }
    }

    private mutating func id(_ word: String) -> Int {
        if let known = ids[word] { return known }
        ids[word] = words.count
        words.append(word)
        return words.count - 1
    }

    /// Interpolated Witten-Bell P(word | history).
    private mutating func probability(_ word: Int, _ history: ArraySlice<Int>) -> Double {
        let key = Array(history) + [word]
        if let known = memo[key] { return known }
        let value: Double
        if history.isEmpty {
            // Unigrams: interpolated with uniform over the vocabulary (all words but <s>).
            let total = counts[0].values.reduce(0, +)
            let distinct = Double(counts[0].count)
            let vocabularySize = Double(words.count - 1)
            // No sentences at all: uniform over the (extra) vocabulary.
            value = total > 0 ? ((counts[0][[word]] ?? 0) + distinct / vocabularySize) / (total + distinct) : 1 / vocabularySize
        } else if let stats = histories[Array(history)] {
            let lower = probability(word, history.dropFirst())
            let seen = counts[history.count][key] ?? 0
            value = (seen + Double(stats.distinct) * lower) / (stats.total + Double(stats.distinct))
        } else {
            value = probability(word, history.dropFirst())
        }
        memo[key] = value
        return value
    }

    /// Every stored n-gram with its log10 probability and (for histories) log10 backoff weight.
    mutating func table() -> [[String]: (logProbability: Double, logBackoff: Double?)] {
        var table: [[String]: (logProbability: Double, logBackoff: Double?)] = [:]
        func backoff(_ gram: [Int]) -> Double? {
            guard gram.count < order, let stats = histories[gram] else { return nil }
            return log10(Double(stats.distinct) / (stats.total + Double(stats.distinct)))
        }
        for word in 0..<words.count {
            let logProbability = word == begin ? -99 : log10(probability(word, []))
            table[[words[word]]] = (logProbability, backoff([word]))
        }
        for n in 2..<(order + 1) where n <= order {
            for gram in counts[n - 1].keys {
                let logProbability = log10(probability(gram.last!, gram.dropLast()[...]))
                table[gram.map { words[$0] }] = (logProbability, backoff(gram))
            }
        }
        return table
    }
}

/// ARPA text for a table of n-grams.
enum ARPAWriter {
    static func write(table: [[String]: (logProbability: Double, logBackoff: Double?)], order: Int) -> String {
        var byOrder = Array(repeating: [[String]](), count: order)
        for gram in table.keys { byOrder[gram.count - 1].append(gram) }
        for n in 0..<order {
            byOrder[n].sort { $0.lexicographicallyPrecedes($1) }
        }
        var text = "\\data\\\n"
        for n in 0..<order { text += "ngram \(n + 1)=\(byOrder[n].count)\n" }
        for n in 0..<order {
            text += "\n\\\(n + 1)-grams:\n"
            for gram in byOrder[n] {
                let entry = table[gram]!
                text += String(format: "%.6f", entry.logProbability) + "\t" + gram.joined(separator: " ")
                if n < order - 1 { text += "\t" + String(format: "%.6f", entry.logBackoff ?? 0) }
                text += "\n"
            }
        }
        text += "\n\\end\\\n"
        return text
    }
}
