/// Values callers give in written or spoken form, normalised for the backend.
///
///     Slots.orderID(in: "order number seven seven three one oh")   // "ORD-77310"
///     Slots.orderID(in: "oh are dee one two three four five")      // "ORD-12345"
///     Slots.customerID(in: "C U S T 1 0 0 1")                      // "CUST-1001"
///     Slots.digits(in: "it's four two four two")                   // "4242"
///     Slots.months(in: "over half a year")                          // 6
public enum Slots {
    /// Letters as spoken when spelling ("see you ess tee", "oh are dee").
    static let letterNames: [String: Character] = [
        "oh": "o", "are": "r", "ar": "r", "arr": "r", "dee": "d", "di": "d", "see": "c", "cee": "c", "sea": "c",
        "you": "u", "yu": "u", "ess": "s", "es": "s", "tee": "t", "tea": "t",
    ]
    /// Words that may come between an id's prefix and its digits: "order number is 12345".
    static let idFillers: Set<String> = [
        "number", "no", "num", "nr", "id", "is", "it", "was", "its", "the", "dash", "hyphen", "ref", "reference",
        "uh", "um", "er", "like", "code", "of", "that", "be", "should",
    ]

    /// An order id, "ORD-" + 5 digits: "ORD-12345", "ord 12345", "order one two three four five",
    /// "O R D 1 2 3 4 5", "order number 7 7 3 1 0", "oh are dee one two three four five".
    /// With `allowBareDigits` (the caller was just asked for an order number) five digits alone count.
    public static func orderID(in text: String, allowBareDigits: Bool = false) -> String? {
        identifier(in: text, prefix: "ORD-", words: ["ord", "order", "orders"], letters: "ord", digitCount: 5,
                   allowBareDigits: allowBareDigits)
    }

    /// A customer id, "CUST-" + 4 digits: "CUST-1001", "customer number one zero zero one",
    /// "C U S T 1 0 0 1", "my account is 1001", "customer ten oh one".
    /// With `allowBareDigits` (the caller was just asked for it) four digits alone count.
    public static func customerID(in text: String, allowBareDigits: Bool = false) -> String? {
        identifier(in: text, prefix: "CUST-", words: ["cust", "customer", "account", "acct", "member", "membership", "client"],
                   letters: "cust", digitCount: 4, allowBareDigits: allowBareDigits)
    }

    /// The longest run of digits the caller said or typed ("four two four two" → "4242",
    /// "forty two forty two" → "4242", "oh" is zero next to other digits); nil when none.
    public static func digits(in text: String) -> String? {
        let runs = SpokenNumbers.runs(in: TextNormalizer.words(text))
        var best: SpokenNumbers.Run?
        for run in runs where run.digits.count >= (best?.digits.count ?? 0) { best = run }
        return best?.digits
    }

    /// A number of months: "six months", "6 months", "a 3-month plan", "half a year" (6),
    /// "a year" (12), "in 4 installments" (4). Nil when no duration is given.
    public static func months(in text: String) -> Int? {
        let tokens = TextNormalizer.words(text)
        let monthUnits: Set<String> = ["month", "months", "mo", "mos", "installment", "installments", "instalment",
                                       "instalments", "payments", "monthly"]
        for (i, token) in tokens.enumerated() {
            if token == "half", tokens.dropFirst(i + 1).prefix(2).contains("year") { return 6 }
            if token == "year" || token == "years" {
                if i > 0, let n = number(before: i, in: tokens) { return n * 12 }
                if i > 0, ["a", "one", "full", "whole"].contains(tokens[i - 1]) { return 12 }
            }
            if monthUnits.contains(token), i > 0, let n = number(before: i, in: tokens) { return n }
        }
        return nil
    }

    /// The first cardinal number in the text ("six", "12", "twenty four").
    public static func number(in text: String) -> Int? {
        SpokenNumbers.firstNumber(in: TextNormalizer.words(text))?.value
    }

    /// The number directly before tokens[i] (allowing one adjective: "six equal months").
    static func number(before i: Int, in tokens: [String]) -> Int? {
        for j in stride(from: i - 1, through: max(0, i - 2), by: -1) {
            if j > 0, let ten = SpokenNumbers.tens[tokens[j - 1]], let unit = SpokenNumbers.units[tokens[j]], unit > 0 {
                return ten + unit  // "twenty four months"
            }
            if let (value, _) = SpokenNumbers.firstNumber(in: [tokens[j]]) { return value }
        }
        return nil
    }

    static func identifier(in text: String, prefix: String, words: Set<String>, letters: String, digitCount: Int,
                           allowBareDigits: Bool) -> String? {
        let tokens = TextNormalizer.words(text)
        for end in markerEnds(in: tokens, words: words, letters: Array(letters)) {
            var start = end + 1
            var skipped = 0
            while start < tokens.count, skipped < 4, idFillers.contains(tokens[start]),
                  SpokenNumbers.digits(at: start, in: tokens) == nil {
                start += 1
                skipped += 1
            }
            if start < tokens.count, let digits = SpokenNumbers.exactDigits(digitCount, from: start, in: tokens) {
                return prefix + digits
            }
        }
        if allowBareDigits {
            let candidates = SpokenNumbers.runs(in: tokens).filter { $0.digits.count == digitCount }
            if candidates.count == 1 { return prefix + candidates[0].digits }
        }
        return nil
    }

    /// Indices of the last token of each id prefix: a prefix word ("order"), or its letters
    /// spelled out one token each ("o r d", "oh are dee", "see you ess tee").
    static func markerEnds(in tokens: [String], words: Set<String>, letters: [Character]) -> [Int] {
        var ends: [Int] = []
        for i in tokens.indices {
            if words.contains(tokens[i]) { ends.append(i); continue }
            guard i + letters.count <= tokens.count else { continue }
            var matched = true
            for (offset, letter) in letters.enumerated() {
                let token = tokens[i + offset]
                let spelled: Character? = token.count == 1 ? token.first : letterNames[token]
                if spelled != letter { matched = false; break }
            }
            if matched { ends.append(i + letters.count - 1) }
        }
        return ends
    }
}
