/// Numbers as callers say or type them: "4242", "four two four two", "forty two forty two",
/// "double seven", "oh" for zero, "ten oh one". Works on `TextNormalizer.words` tokens.
public enum SpokenNumbers {
    static let units: [String: Int] = [
        "zero": 0, "oh": 0, "o": 0, "nought": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4,
        "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    ]
    static let teens: [String: Int] = [
        "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
        "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    ]
    static let tens: [String: Int] = [
        "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90,
    ]
    /// units, teens and tens in one table: most tokens are no number, and one lookup instead of
    /// three says so (every word of every classified window asks, `TextFeatures.collapsingNumbers`).
    private enum NumberWord { case unit(Int), teen(Int), ten(Int) }
    private static let numberWords: [String: NumberWord] = units.mapValues(NumberWord.unit)
        .merging(teens.mapValues(NumberWord.teen)) { first, _ in first }
        .merging(tens.mapValues(NumberWord.ten)) { first, _ in first }

    /// Tokens that may sit inside a spoken digit string without ending it.
    static let fillers: Set<String> = ["dash", "hyphen", "uh", "um", "umm", "er", "erm", "hmm"]

    static func isDigits(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// A run of digits the caller said or typed, with the token range it came from.
    struct Run {
        var digits: String
        var tokens: Range<Int>
        /// The run is exactly one written token ("12345"), not a spoken sequence.
        var singleWrittenToken: Bool
    }

    /// Digits contributed by the token at `i` (and how many tokens it consumed), or nil.
    /// "oh"/"o" count as zero only next to another number word or digit.
    static func digits(at i: Int, in tokens: [String]) -> (String, Int)? {
        let token = tokens[i]
        if isDigits(token) { return (token, 1) }
        if token == "double" || token == "triple", i + 1 < tokens.count, let (next, used) = digits(at: i + 1, in: tokens), next.count == 1 {
            return (String(repeating: next, count: token == "double" ? 2 : 3), used + 1)
        }
        if token == "oh" || token == "o" {
            let neighbour = { (j: Int) -> Bool in
                guard j >= 0, j < tokens.count else { return false }
                let t = tokens[j]
                return isDigits(t) || (units[t] != nil && t != "oh" && t != "o") || teens[t] != nil || tens[t] != nil
                    || t == "double" || t == "triple" || t == "oh" || t == "o"
            }
            guard neighbour(i - 1) || neighbour(i + 1) else { return nil }
            return ("0", 1)
        }
        switch numberWords[token] {
        case .unit(let unit): return (String(unit), 1)
        case .teen(let teen): return (String(teen), 1)
        case .ten(let ten):
            if i + 1 < tokens.count, let unit = units[tokens[i + 1]], unit > 0, tokens[i + 1] != "o" {
                return (String(ten + unit), 2)
            }
            return (String(ten), 1)
        case nil: return nil
        }
    }

    /// Every maximal run of digits in `tokens`, in order.
    static func runs(in tokens: [String]) -> [Run] {
        var runs: [Run] = []
        var i = 0
        var current: Run?
        while i < tokens.count {
            if let (digits, used) = digits(at: i, in: tokens) {
                if current == nil {
                    current = Run(digits: digits, tokens: i..<(i + used), singleWrittenToken: isDigits(tokens[i]) && used == 1)
                } else {
                    current!.digits += digits
                    current!.tokens = current!.tokens.lowerBound..<(i + used)
                    current!.singleWrittenToken = false
                }
                i += used
            } else if current != nil, fillers.contains(tokens[i]) {
                i += 1
            } else {
                if let run = current { runs.append(run) }
                current = nil
                i += 1
            }
        }
        if let run = current { runs.append(run) }
        return runs
    }

    /// Digits read from the tokens starting at `start`, stopping once `count` digits are collected.
    /// Nil when the run there is shorter, or continues past `count` (a spoken "1 2 3 4 5 6" is not a
    /// five-digit id), unless the id was one clean written token ("12345").
    static func exactDigits(_ count: Int, from start: Int, in tokens: [String]) -> String? {
        var collected = ""
        var i = start
        var writtenTokens = 0
        var pieces = 0
        while i < tokens.count, collected.count < count {
            if let (digits, used) = digits(at: i, in: tokens) {
                collected += digits
                pieces += 1
                if isDigits(tokens[i]) { writtenTokens += 1 }
                i += used
            } else if fillers.contains(tokens[i]) && !collected.isEmpty {
                i += 1
            } else {
                break
            }
        }
        guard collected.count == count else { return nil }
        let clean = pieces == 1 && writtenTokens == 1
        if !clean, i < tokens.count, digits(at: i, in: tokens) != nil { return nil }
        return collected
    }

    /// The first cardinal number in the tokens: "6", "six", "twenty four", "a dozen".
    static func firstNumber(in tokens: [String]) -> (value: Int, index: Int)? {
        for (i, token) in tokens.enumerated() {
            if isDigits(token), token.count <= 6, let value = Int(token) { return (value, i) }
            if token == "oh" || token == "o" { continue }
            if let unit = units[token] { return (unit, i) }
            if let teen = teens[token] { return (teen, i) }
            if let ten = tens[token] {
                if i + 1 < tokens.count, let unit = units[tokens[i + 1]], unit > 0 { return (ten + unit, i) }
                return (ten, i)
            }
            if token == "dozen" { return (12, i) }
            if token == "couple" { return (2, i) }
        }
        return nil
    }
}
