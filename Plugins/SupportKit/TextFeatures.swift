/// Sparse features of an utterance for `IntentClassifier`: stemmed word unigrams, word bigrams
/// (with a start-of-utterance marker) and character 3–5-grams of each word (robust to unseen
/// inflections and transcription typos). Features are 64-bit FNV-1a hashes of tagged byte
/// strings; each feature counts once and the vector is L2-normalised.
public struct TextFeatures: Sendable {
    public struct Options: Sendable, Hashable {
        public var wordBigrams = true
        public var charNGrams: ClosedRange<Int>? = 3...5
        /// Weight of each character n-gram relative to a word feature.
        public var charWeight = 0.35
        /// Adds a feature for the word's `WordClasses` group (near-synonyms share it).
        public var wordClasses = true
        public init() {}
    }

    /// (hash, value): each feature once (presence, not counts), L2-normalised.
    public let entries: [(hash: UInt64, value: Double)]

    public init(_ text: String, options: Options = Options()) {
        var cache: [String: WordParts] = [:]
        self.init(words: TextNormalizer.words(text), options: options, cache: &cache)
    }

    /// What one word contributes, independent of its neighbours (computed once per word when the
    /// same words are featurised in several overlapping windows).
    struct WordParts {
        let stem: [UInt8]
        let unigram: UInt64
        let group: UInt64?
        let chars: [UInt64]
    }

    /// Features of already-normalised words, reusing `cache` for words seen before.
    init(words rawWords: [String], options: Options, cache: inout [String: WordParts]) {
        let words = Self.collapsingNumbers(rawWords)
        var wordLevel: [UInt64] = []
        var charLevel: [UInt64] = []
        wordLevel.reserveCapacity(words.count * 3)
        charLevel.reserveCapacity(words.count * 16)
        var previous: [UInt8] = [94]  // "^": start of the utterance
        for word in words {
            let parts: WordParts
            if let known = cache[word] {
                parts = known
            } else {
                parts = Self.parts(of: word, options: options)
                cache[word] = parts
            }
            wordLevel.append(parts.unigram)
            if let group = parts.group { wordLevel.append(group) }
            if options.wordBigrams {
                wordLevel.append(Self.bigramHash(previous, parts.stem))
            }
            charLevel.append(contentsOf: parts.chars)
            previous = parts.stem
        }
        wordLevel = Self.unique(wordLevel)
        charLevel = Self.unique(charLevel)
        let weight = options.charWeight
        let norm = (Double(wordLevel.count) + Double(charLevel.count) * weight * weight).squareRoot()
        var entries: [(hash: UInt64, value: Double)] = []
        entries.reserveCapacity(wordLevel.count + charLevel.count)
        if norm > 0 {
            for hash in wordLevel { entries.append((hash, 1 / norm)) }
            for hash in charLevel { entries.append((hash, weight / norm)) }
        }
        self.entries = entries
    }

    static func parts(of word: String, options: Options) -> WordParts {
        let bytes = Array(word.utf8)
        let isNumber = word == "0"
        let stem = isNumber ? [35] : TextNormalizer.stem(bytes)  // every number is "#"
        var chars: [UInt64] = []
        if let range = options.charNGrams, !isNumber {
            Self.appendCharNGrams(of: bytes, sizes: range, to: &chars)
        }
        let group = options.wordClasses ? WordClasses.group(of: word).map { Self.hash(tag: 9, Array($0.utf8)) } : nil
        return WordParts(stem: stem, unigram: Self.hash(tag: 1, stem), group: group, chars: chars)
    }

    /// Without repeats, in first-seen order (a small open-addressing set: fast even unoptimised).
    static func unique(_ hashes: [UInt64]) -> [UInt64] {
        guard hashes.count > 1 else { return hashes }
        var capacity = 4
        while capacity < hashes.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        var table = [UInt64](repeating: 0, count: capacity)  // 0 = empty (a zero hash is kept apart)
        var out: [UInt64] = []
        out.reserveCapacity(hashes.count)
        var sawZero = false
        table.withUnsafeMutableBufferPointer { slots in
            for hash in hashes {
                if hash == 0 {
                    if !sawZero { sawZero = true; out.append(0) }
                    continue
                }
                var i = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
                while slots[i] != 0 && slots[i] != hash { i = (i + 1) & mask }
                if slots[i] == 0 {
                    slots[i] = hash
                    out.append(hash)
                }
            }
        }
        return out
    }

    /// Hashes of the character n-grams of "^word$".
    static func appendCharNGrams(of word: [UInt8], sizes: ClosedRange<Int>, to out: inout [UInt64]) {
        var padded = [UInt8](repeating: 94, count: word.count + 2)
        for (i, byte) in word.enumerated() { padded[i + 1] = byte }
        padded[word.count + 1] = 36
        padded.withUnsafeBufferPointer { bytes in
            for n in sizes where bytes.count >= n {
                for start in 0...(bytes.count - n) {
                    var h: UInt64 = 0xcbf2_9ce4_8422_2325
                    h = (h ^ UInt64(2 + n)) &* 0x0000_0100_0000_01b3
                    for i in start..<(start + n) { h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01b3 }
                    out.append(h)
                }
            }
        }
    }

    /// A run of number tokens ("7 7 3 1 0", "one two three", "12345") becomes one "0" token:
    /// ids and amounts say nothing about intent, and five digits must not outweigh the words.
    static func collapsingNumbers(_ words: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(words.count)
        var index = 0
        while index < words.count {
            guard let (_, used) = SpokenNumbers.digits(at: index, in: words) else {
                out.append(words[index])
                index += 1
                continue
            }
            var end = index + used
            var pieces = 1
            while end < words.count, let (_, more) = SpokenNumbers.digits(at: end, in: words) {
                end += more
                pieces += 1
            }
            if pieces > 1 || SpokenNumbers.isDigits(words[index]) {
                out.append("0")
            } else {
                out.append(contentsOf: words[index..<end])
            }
            index = end
        }
        return out
    }

    /// `hash(tag: 2, previous + " " + stem)`, without building the joined bytes.
    static func bigramHash(_ previous: [UInt8], _ stem: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        h = (h ^ 2) &* 0x0000_0100_0000_01b3
        for byte in previous { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        h = (h ^ 32) &* 0x0000_0100_0000_01b3
        for byte in stem { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// FNV-1a of the tag byte then `bytes`.
    static func hash(tag: UInt8, _ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        h = (h ^ UInt64(tag)) &* 0x0000_0100_0000_01b3
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}
