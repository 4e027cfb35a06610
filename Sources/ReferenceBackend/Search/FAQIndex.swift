import Foundation

/// Okapi BM25 over the FAQ: each entry's question, answer and tags form one document, with the
/// question and tags counted twice because they say what the entry is about.
struct FAQIndex {
    struct Hit {
        let entry: Fixture.FAQ
        let score: Double
    }

    private let entries: [Fixture.FAQ]
    private let termCounts: [[String: Int]]
    private let lengths: [Double]
    private let averageLength: Double
    private let documentFrequency: [String: Int]
    // Standard BM25 parameters: term-frequency saturation and length normalisation.
    private let k1 = 1.2
    private let b = 0.75
    /// Scores at or below this are noise (a single common word); such queries get no results.
    static let minimumScore = 1.0

    init(_ entries: [Fixture.FAQ]) {
        self.entries = entries
        termCounts = entries.map { entry in
            let boosted = [entry.question, entry.question, entry.answer] + entry.tags + entry.tags
            return TextAnalyzer.terms(boosted.joined(separator: " ")).reduce(into: [:]) { $0[$1, default: 0] += 1 }
        }
        lengths = termCounts.map { Double($0.values.reduce(0, +)) }
        averageLength = lengths.reduce(0, +) / Double(max(entries.count, 1))
        documentFrequency = termCounts.reduce(into: [:]) { frequency, counts in
            for term in counts.keys { frequency[term, default: 0] += 1 }
        }
    }

    /// The best `limit` entries scoring above `minimumScore`, best first.
    func search(_ query: String, limit: Int) -> [Hit] {
        let queryTerms = Set(TextAnalyzer.terms(query))
        guard !queryTerms.isEmpty else { return [] }
        let documents = Double(entries.count)
        let hits = entries.indices.compactMap { index -> Hit? in
            let score = queryTerms.reduce(0.0) { total, term in
                guard let frequency = termCounts[index][term].map(Double.init), let df = documentFrequency[term] else { return total }
                let idf = log(1 + (documents - Double(df) + 0.5) / (Double(df) + 0.5))
                let saturation = frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * lengths[index] / averageLength))
                return total + idf * saturation
            }
            return score > Self.minimumScore ? Hit(entry: entries[index], score: score) : nil
        }
        return Array(hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.entry.id < $1.entry.id }.prefix(limit))
    }
}
