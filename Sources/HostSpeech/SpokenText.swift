import Foundation

/// Written text as the words a caller would say: the normalisation shared by language-model
/// building, grammars and word-error-rate scoring. Lower case; numbers, amounts and ids spelled
/// out ("$24.00" → "twenty four dollars", "ORD-55120" → "o r d five five one two zero").
public enum SpokenText {
    static let ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                       "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
    static let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    static let ordinals = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                           "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                           "eighteenth", "nineteenth", "twentieth"]
    /// The words digits are read as, one by one.
    public static let digitWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    /// The spoken words of `text`.
    public static func words(_ text: String) -> [String] {
        var result: [String] = []
        let cleaned = text.replacingOccurrences(of: "’", with: "'").replacingOccurrences(of: "‘", with: "'")
            .replacingOccurrences(of: "&", with: " and ").replacingOccurrences(of: "%", with: " percent ")
            .replacingOccurrences(of: "@", with: " at ").replacingOccurrences(of: "+", with: " plus ")
            .replacingOccurrences(of: "/", with: " ")
        for raw in cleaned.split(whereSeparator: { $0.isWhitespace }) {
            result.append(contentsOf: token(String(raw)))
        }
        return result
    }

    /// The spoken words of one whitespace-separated token.
    static func token(_ raw: String) -> [String] {
        // Strip surrounding punctuation (keep "$" for amounts and inner apostrophes, dots, hyphens).
        let edge: (Character) -> Bool = { !($0.isLetter || $0.isNumber || $0 == "$") }
        var token = Substring(raw)
        while let first = token.first, edge(first) { token = token.dropFirst() }
        while let last = token.last, edge(last) { token = token.dropLast() }
        guard !token.isEmpty else { return [] }

        if token.hasPrefix("$") { return money(token.dropFirst()) }
        if token.allSatisfy({ $0.isNumber || $0 == "," }), token.contains(where: \.isNumber) {
            let digits = token.filter(\.isNumber)
            // "1,200" is a quantity; "0042" and long strings are read digit by digit.
            if token.contains(",") || (digits.count <= 4 && !digits.hasPrefix("0")) || digits == "0" { return number(Int(digits)!) }
            return digits.map { digitWords[Int(String($0))!] }
        }
        if let dot = token.firstIndex(of: "."), token[..<dot].allSatisfy(\.isNumber), token[token.index(after: dot)...].allSatisfy(\.isNumber),
           !token[..<dot].isEmpty, token.index(after: dot) < token.endIndex {
            return Self.token(String(token[..<dot])) + ["point"] + token[token.index(after: dot)...].map { digitWords[Int(String($0))!] }
        }
        if let ordinal = ordinal(token) { return [ordinal] }
        if token.contains(where: \.isNumber) {
            // An id like "ORD-55120" or "RF000118" (letters spelled, long digit runs one by one),
            // or digits with punctuation like "10:30" (short runs as numbers).
            var words: [String] = []
            for run in runs(token) {
                if run.first!.isNumber {
                    words.append(contentsOf: run.count <= 2 ? number(Int(run)!) : run.map { digitWords[Int(String($0))!] })
                } else if run.first!.isLetter {
                    words.append(contentsOf: run.lowercased().map(String.init))
                }
            }
            return words
        }
        let lower = token.lowercased()
        // Keep word-internal apostrophes and hyphens ("what's", "e-mail"); other marks split.
        return lower.split(whereSeparator: { !($0.isLetter || $0 == "'" || $0 == "-") })
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "'-")) }
            .filter { !$0.isEmpty }
    }

    /// "1200" → "one thousand two hundred"; 0...999_999_999.
    public static func number(_ value: Int) -> [String] {
        if value < 20 { return [ones[max(value, 0)]] }
        if value < 100 { return [tens[value / 10]] + (value % 10 == 0 ? [] : [ones[value % 10]]) }
        if value < 1000 { return [ones[value / 100], "hundred"] + (value % 100 == 0 ? [] : number(value % 100)) }
        if value < 1_000_000 { return number(value / 1000) + ["thousand"] + (value % 1000 == 0 ? [] : number(value % 1000)) }
        if value < 1_000_000_000 { return number(value / 1_000_000) + ["million"] + (value % 1_000_000 == 0 ? [] : number(value % 1_000_000)) }
        return String(value).map { digitWords[Int(String($0))!] }
    }

    static func money(_ amount: Substring) -> [String] {
        let parts = amount.split(separator: ".", maxSplits: 1)
        guard let wholeText = parts.first?.filter(\.isNumber), let whole = Int(wholeText) else { return ["dollars"] }
        var words = number(whole) + [whole == 1 ? "dollar" : "dollars"]
        if parts.count == 2, let cents = Int(parts[1].prefix(2).filter(\.isNumber)), cents > 0 {
            words += ["and"] + number(cents) + [cents == 1 ? "cent" : "cents"]
        }
        return words
    }

    static func ordinal(_ token: Substring) -> String? {
        let lower = token.lowercased()
        guard lower.count >= 3, ["st", "nd", "rd", "th"].contains(String(lower.suffix(2))),
              let value = Int(lower.dropLast(2)), value > 0 else { return nil }
        if value <= 20 { return ordinals[value] }
        if value < 100 {
            let unit = value % 10
            let tensWord = tens[value / 10]
            if unit == 0 { return String(tensWord.dropLast()) + "ieth" }
            return nil   // "twenty first" is two words; rare in support phrases
        }
        return nil
    }

    static func runs(_ token: Substring) -> [Substring] {
        var result: [Substring] = []
        var start = token.startIndex
        var index = start
        func kind(_ c: Character) -> Int { c.isNumber ? 0 : c.isLetter ? 1 : 2 }
        while index < token.endIndex {
            let next = token.index(after: index)
            if next == token.endIndex || kind(token[next]) != kind(token[index]) {
                result.append(token[start..<next])
                start = next
            }
            index = next
        }
        return result.filter { kind($0.first!) != 2 }
    }

    /// The digits a caller read out ("oh one two" → "012"); other words are ignored.
    public static func digits(in transcript: String) -> String {
        var result = ""
        for word in transcript.split(separator: " ") {
            if let value = digitWords.firstIndex(of: String(word)) { result += String(value) }
            else if word == "oh" { result += "0" }
        }
        return result
    }
}

/// Word error rate: (substitutions + deletions + insertions) / reference words, by a
/// Levenshtein alignment over words.
public struct WordErrorRate: Sendable, Equatable {
    public var substitutions = 0
    public var deletions = 0
    public var insertions = 0
    public var referenceWords = 0

    public var errors: Int { substitutions + deletions + insertions }
    public var rate: Double { referenceWords == 0 ? (errors == 0 ? 0 : 1) : Double(errors) / Double(referenceWords) }

    public init() {}

    /// Scores `hypothesis` against `reference` (both normalised with `SpokenText.words`).
    public init(reference: String, hypothesis: String) {
        self.init(reference: SpokenText.words(reference), hypothesis: SpokenText.words(hypothesis))
    }

    public init(reference: [String], hypothesis: [String]) {
        let n = reference.count, m = hypothesis.count
        // cost[i][j] with the operation counts that reached it.
        var row = (0...m).map { (cost: $0, s: 0, d: 0, i: $0) }
        for i in 1...max(n, 1) where n > 0 {
            var next = [(cost: i, s: 0, d: i, i: 0)]
            for j in 1...max(m, 1) where m > 0 {
                let same = reference[i - 1] == hypothesis[j - 1]
                let diagonal = row[j - 1]
                var best = (cost: diagonal.cost + (same ? 0 : 1), s: diagonal.s + (same ? 0 : 1), d: diagonal.d, i: diagonal.i)
                let up = row[j]
                if up.cost + 1 < best.cost { best = (up.cost + 1, up.s, up.d + 1, up.i) }
                let left = next[j - 1]
                if left.cost + 1 < best.cost { best = (left.cost + 1, left.s, left.d, left.i + 1) }
                next.append(best)
            }
            row = next
        }
        let final = row[m]
        substitutions = final.s
        deletions = final.d
        insertions = final.i
        referenceWords = n
    }

    /// Sums counts over several utterances (the overall rate is errors / all reference words).
    public static func + (lhs: WordErrorRate, rhs: WordErrorRate) -> WordErrorRate {
        var sum = lhs
        sum.substitutions += rhs.substitutions
        sum.deletions += rhs.deletions
        sum.insertions += rhs.insertions
        sum.referenceWords += rhs.referenceWords
        return sum
    }
}
