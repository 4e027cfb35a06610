import Foundation

/// A multinomial logistic-regression (softmax) text classifier trained at run time from labelled
/// examples, over `TextFeatures` (stemmed word unigrams + bigrams + character n-grams).
///
/// Training is class-balanced (each class weighs the same however many examples it has, so a
/// third-party department with six examples competes fairly with one that has sixty), L2-regularised
/// and deterministic: plain SGD over a fixed pseudo-random order with a decaying step size.
/// Features never seen in training are ignored at classification time, but they still count in the
/// input's normalisation, so an utterance made mostly of unknown words gets flatter probabilities.
public struct IntentClassifier: Sendable {
    public struct Options: Sendable {
        public var features = TextFeatures.Options()
        public var epochs = 30
        public var learningRate = 2.0
        public var l2 = 1e-4
        public init() {}
    }

    public let labels: [String]
    public let options: Options
    private let vocabulary: FeatureIndex
    private let weights: [Double]  // feature-major: weights[feature * K + class]
    private let bias: [Double]

    /// Trains on `classes`; a class without examples is kept (it is never predicted confidently).
    public init(classes: [(label: String, examples: [String])], options: Options = Options()) {
        self.options = options
        labels = classes.map(\.label)
        let k = classes.count
        var vocabulary: [UInt64: Int32] = [:]
        var data = TrainingData()
        for (label, examples) in classes.map(\.examples).enumerated() {
            for example in examples {
                for entry in TextFeatures(example, options: options.features).entries {
                    let id: Int32
                    if let known = vocabulary[entry.hash] {
                        id = known
                    } else {
                        id = Int32(vocabulary.count)
                        vocabulary[entry.hash] = id
                    }
                    data.ids.append(id)
                    data.values.append(entry.value)
                }
                data.ends.append(data.ids.count)
                data.labels.append(label)
            }
        }
        self.vocabulary = FeatureIndex(vocabulary)
        var w = [Double](repeating: 0, count: vocabulary.count * k)
        var b = [Double](repeating: 0, count: k)
        if k > 1, !data.labels.isEmpty {
            var counts = [Int](repeating: 0, count: k)
            for label in data.labels { counts[label] += 1 }
            let classWeight = counts.map { $0 == 0 ? 0 : Double(data.labels.count) / Double(k * $0) }
            Self.train(data, classes: k, classWeight: classWeight, options: options, weights: &w, bias: &b)
        }
        weights = w
        bias = b
    }

    /// The training set, flat: example i has features ids/values[ends[i-1]..<ends[i]].
    private struct TrainingData {
        var ids: [Int32] = []
        var values: [Double] = []
        var ends: [Int] = []
        var labels: [Int] = []
    }

    // The loops below use raw pointers and while-loops so that training stays fast in debug builds
    // too (~300 examples: a few ms optimised).
    private static func train(_ data: TrainingData, classes k: Int, classWeight: [Double], options: Options,
                              weights: inout [Double], bias: inout [Double]) {
        let n = data.labels.count
        var order = Array(0..<n)
        var rng = SplitMix64(seed: 0x5EED_CAFE)
        var scores = [Double](repeating: 0, count: k)
        var step = 0.0
        let total = Double(n * options.epochs)
        weights.withUnsafeMutableBufferPointer { wb in
        bias.withUnsafeMutableBufferPointer { bb in
        scores.withUnsafeMutableBufferPointer { sb in
        data.ids.withUnsafeBufferPointer { idb in
        data.values.withUnsafeBufferPointer { vb in
            guard let w = wb.baseAddress, let b = bb.baseAddress, let s = sb.baseAddress,
                  let ids = idb.baseAddress, let values = vb.baseAddress else { return }
            for _ in 0..<options.epochs {
                var i = n - 1
                while i > 0 {  // Fisher–Yates, seeded
                    order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
                    i -= 1
                }
                for index in order {
                    let start = index == 0 ? 0 : data.ends[index - 1]
                    let end = data.ends[index]
                    let label = data.labels[index]
                    let rate = options.learningRate / (1 + 4 * step / total)
                    step += 1
                    Self.scores(ids: ids + start, values: values + start, count: end - start, k: k, weights: w, bias: b, into: s)
                    Self.softmax(s, k)
                    let cw = classWeight[label]
                    var c = 0
                    while c < k { s[c] = cw * (s[c] - (c == label ? 1 : 0)); c += 1 }
                    let decay = 1 - rate * options.l2
                    var j = start
                    while j < end {
                        let x = rate * values[j]
                        let row = w + Int(ids[j]) * k
                        c = 0
                        while c < k { row[c] = row[c] * decay - s[c] * x; c += 1 }
                        j += 1
                    }
                    c = 0
                    while c < k { b[c] -= rate * s[c]; c += 1 }
                }
            }
        }
        }
        }
        }
        }
    }

    @inline(__always)
    private static func scores(ids: UnsafePointer<Int32>, values: UnsafePointer<Double>, count: Int, k: Int,
                               weights: UnsafePointer<Double>, bias: UnsafePointer<Double>, into s: UnsafeMutablePointer<Double>) {
        var c = 0
        while c < k { s[c] = bias[c]; c += 1 }
        var j = 0
        while j < count {
            let x = values[j]
            let row = weights + Int(ids[j]) * k
            c = 0
            while c < k { s[c] += row[c] * x; c += 1 }
            j += 1
        }
    }

    @inline(__always)
    private static func softmax(_ s: UnsafeMutablePointer<Double>, _ k: Int) {
        var top = -Double.infinity
        var c = 0
        while c < k { if s[c] > top { top = s[c] }; c += 1 }
        var sum = 0.0
        c = 0
        while c < k { s[c] = exp(s[c] - top); sum += s[c]; c += 1 }
        c = 0
        while c < k { s[c] /= sum; c += 1 }
    }

    /// Every label with its probability, most likely first (ties by label); the probabilities sum to 1.
    public func classify(_ text: String) -> [(label: String, probability: Double)] {
        classify(TextFeatures(text, options: options.features))
    }

    func classify(_ features: TextFeatures) -> [(label: String, probability: Double)] {
        zip(labels, probabilities(features)).map { (label: $0.0, probability: $0.1) }
            .sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.label < $1.label }
    }

    /// `classify(features).first` without ranking every label (strongestMention asks it of each window).
    func top(_ features: TextFeatures) -> (label: String, probability: Double)? {
        var best: (label: String, probability: Double)?
        for (label, probability) in zip(labels, probabilities(features)) {
            guard let current = best else { best = (label, probability); continue }
            if probability > current.probability || (probability == current.probability && label < current.label) {
                best = (label, probability)
            }
        }
        return best
    }

    /// Each label's probability, in `labels` order.
    private func probabilities(_ features: TextFeatures) -> [Double] {
        let k = labels.count
        guard k > 0 else { return [] }
        var ids: [Int32] = []
        var values: [Double] = []
        ids.reserveCapacity(features.entries.count)
        values.reserveCapacity(features.entries.count)
        for entry in features.entries {
            if let id = vocabulary[entry.hash] { ids.append(id); values.append(entry.value) }
        }
        var s = [Double](repeating: 0, count: k)
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                s.withUnsafeMutableBufferPointer { out in
                    ids.withUnsafeBufferPointer { idb in
                        values.withUnsafeBufferPointer { vb in
                            guard let w = w.baseAddress, let b = b.baseAddress, let out = out.baseAddress else { return }
                            if let idp = idb.baseAddress, let vp = vb.baseAddress {
                                Self.scores(ids: idp, values: vp, count: ids.count, k: k, weights: w, bias: b, into: out)
                            } else {
                                for c in 0..<k { out[c] = b[c] }
                            }
                            Self.softmax(out, k)
                        }
                    }
                }
            }
        }
        return s
    }

    /// The most confident label other than `excluded`, over the whole text and every run of
    /// `window` consecutive words: finds a detail said inside a longer request ("refund order
    /// 12345, the desk arrived cracked" → the reason), where the request words would otherwise
    /// dominate. Nil when every span's best label is `excluded`.
    public func strongestMention(in text: String, excluding excluded: String, window: Int = 5) -> (label: String, probability: Double)? {
        let words = TextNormalizer.words(text)
        var spans = [words[...]]
        if words.count > window {
            for start in 0...(words.count - window) { spans.append(words[start..<(start + window)]) }
        }
        // Overlapping windows share words: each word's features are computed once.
        var cache: [String: TextFeatures.WordParts] = [:]
        var best: (label: String, probability: Double)?
        for span in spans {
            let features = TextFeatures(words: Array(span), options: options.features, cache: &cache)
            guard let winner = top(features), winner.label != excluded else { continue }
            if winner.probability > (best?.probability ?? 0) { best = winner }
        }
        return best
    }

    /// The most likely label and its probability.
    public func best(_ text: String) -> (label: String, probability: Double)? {
        top(TextFeatures(text, options: options.features))
    }
}

/// A small deterministic PRNG (SplitMix64) for the training order.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Feature hash → column, as an open-addressing table: the keys are already FNV hashes, so
/// Dictionary's SipHash over them was pure overhead on every classification (measured).
struct FeatureIndex: Sendable {
    private let keys: [UInt64]
    private let values: [Int32]
    private let mask: Int

    init(_ dictionary: [UInt64: Int32]) {
        var capacity = 8
        while capacity < dictionary.count * 2 { capacity <<= 1 }
        var keys = [UInt64](repeating: 0, count: capacity)
        var values = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (key, value) in dictionary {
            var i = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
            while values[i] != -1 { i = (i + 1) & mask }
            keys[i] = key
            values[i] = value
        }
        self.keys = keys
        self.values = values
        self.mask = mask
    }

    subscript(key: UInt64) -> Int32? {
        var i = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
        while true {
            let value = values[i]
            if value == -1 { return nil }
            if keys[i] == key { return value }
            i = (i + 1) & mask
        }
    }
}
