import Foundation

/// What a tenant's `redact:` list removes from everything the host keeps or prints — the
/// session record (so Redis and the journal), log lines, what goes to the backend with an
/// escalation — while the live conversation (what agents see) keeps the real words.
/// Patterns (docs/telephony.md, "Redaction"):
/// - `card_number`: 13–19 digits that pass the Luhn check → `[card number]`
/// - `ssn`: exactly 9 digits (123-45-6789, 123 45 6789, spoken) → `[ssn]`
/// - `phone`: 10 digits, 11 starting with 1, or `+` and 8–15 digits → `[phone]`
/// - `email`: name@domain.tld, and the spoken "jane dot doe at example dot com" → `[email]`
/// Digits may be written (with spaces, `-`, `.`, `/`, `,`, parentheses between groups) or spoken
/// as recognisers write them: "four two four two", "oh" or "o" for zero, "double five".
/// A run of digits is one candidate; a run matching nothing is left alone (order ids, amounts).
public struct Redaction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case cardNumber = "card_number"
        case ssn
        case email
        case phone

        var label: String {
            switch self {
            case .cardNumber: "[card number]"
            case .ssn: "[ssn]"
            case .email: "[email]"
            case .phone: "[phone]"
            }
        }
    }

    public var kinds: Set<Kind> = []

    public init(_ kinds: Set<Kind> = []) { self.kinds = kinds }

    public var isEmpty: Bool { kinds.isEmpty }

    /// `text` with every match of the tenant's kinds replaced by its label.
    public func apply(_ text: String) -> String {
        guard !kinds.isEmpty, !text.isEmpty else { return text }
        var out = text
        if kinds.contains(.email) { out = Self.redactEmails(out) }
        if !kinds.isDisjoint(with: [.cardNumber, .ssn, .phone]) { out = redactDigitRuns(out) }
        return out
    }

    // MARK: e-mail

    private static let written = try! NSRegularExpression(
        pattern: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#)
    /// "jane dot doe at example dot com": the spoken form ends in a common top-level domain, so
    /// "look at the dot" is not taken for an address.
    private static let spoken = try! NSRegularExpression(
        pattern: #"\b[a-z0-9]+(\s+(dot|underscore|dash)\s+[a-z0-9]+)*\s+at\s+[a-z0-9]+(\s+dot\s+[a-z0-9]+)*\s+dot\s+(com|net|org|edu|gov|io|co|uk|us|de|fr|ca)\b"#,
        options: [.caseInsensitive])

    private static func redactEmails(_ text: String) -> String {
        var out = text
        for expression in [written, spoken] {
            let range = NSRange(out.startIndex..., in: out)
            out = expression.stringByReplacingMatches(in: out, range: range, withTemplate: Kind.email.label)
        }
        return out
    }

    // MARK: digit runs

    private static let digitWords: [String: Character] = [
        "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
        "six": "6", "seven": "7", "eight": "8", "nine": "9",
    ]
    private static let repeaters: [String: Int] = ["double": 2, "triple": 3]
    /// Between the groups of one number; a period or anything else ends the run.
    private static let joiners: Set<Character> = [" ", "-", "/", ",", "(", ")", "\t"]

    private struct Run {
        var range: Range<String.Index>
        var digits: String
        var plus: Bool
    }

    private func redactDigitRuns(_ text: String) -> String {
        var out = ""
        var cursor = text.startIndex
        for run in Self.runs(in: text) {
            guard let kind = classify(run) else { continue }
            out += text[cursor..<run.range.lowerBound]
            out += kind.label
            cursor = run.range.upperBound
        }
        out += text[cursor...]
        return out
    }

    private func classify(_ run: Run) -> Kind? {
        let count = run.digits.count
        if kinds.contains(.cardNumber), (13...19).contains(count), Self.luhn(run.digits) { return .cardNumber }
        if kinds.contains(.ssn), !run.plus, count == 9 { return .ssn }
        if kinds.contains(.phone) {
            if run.plus, (8...15).contains(count) { return .phone }
            if count == 10 || (count == 11 && run.digits.hasPrefix("1")) { return .phone }
        }
        return nil
    }

    static func luhn(_ digits: String) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            guard var value = character.wholeNumberValue else { return false }
            if index % 2 == 1 { value *= 2; if value > 9 { value -= 9 } }
            sum += value
        }
        return sum % 10 == 0
    }

    /// Maximal runs of digit tokens (written groups, digit words, "double"/"triple" + a digit
    /// word) separated only by joiners. A run's range covers its tokens (and a leading `+`).
    private static func runs(in text: String) -> [Run] {
        var runs: [Run] = []
        var current: Run?
        var pendingRepeat = 1
        var index = text.startIndex
        var gapIsJoin = true
        func close() {
            if let run = current, !run.digits.isEmpty { runs.append(run) }
            current = nil
            pendingRepeat = 1
        }
        while index < text.endIndex {
            let character = text[index]
            guard character.isLetter || character.isNumber else {
                // "123.456.7890" joins; "12345. Then" ends the run.
                let next = text.index(after: index)
                let dotInNumber = character == "." && next < text.endIndex && text[next].isNumber
                if !joiners.contains(character), !dotInNumber { gapIsJoin = false }
                index = text.index(after: index)
                continue
            }
            var end = index
            while end < text.endIndex, text[end].isLetter || text[end].isNumber { end = text.index(after: end) }
            let token = text[index..<end]
            let lowered = token.lowercased()
            var digits: String?
            if token.allSatisfy({ $0.isASCII && $0.isNumber }) {
                digits = String(token)
            } else if let digit = digitWords[lowered] {
                digits = String(repeating: digit, count: pendingRepeat)
            }
            if let repeatCount = repeaters[lowered] {
                // "double five": the word joins the run; the next digit word counts twice.
                if current == nil || !gapIsJoin { close(); current = Run(range: index..<end, digits: "", plus: false) }
                pendingRepeat = repeatCount
                if let start = current?.range.lowerBound { current?.range = start..<end }
            } else if let digits {
                if current != nil, gapIsJoin {
                    current!.digits += digits
                    let start = current!.range.lowerBound
                    current!.range = start..<end
                } else {
                    close()
                    var start = index
                    var plus = false
                    if start > text.startIndex, text[text.index(before: start)] == "+" {
                        start = text.index(before: start)
                        plus = true
                    }
                    current = Run(range: start..<end, digits: digits, plus: plus)
                }
                pendingRepeat = 1
            } else {
                close()
            }
            gapIsJoin = true
            index = end
        }
        close()
        return runs
    }
}
