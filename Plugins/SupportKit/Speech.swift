import Foundation

/// Helpers for replies that are read aloud on voice calls: plain text, short, ids spelled out.
public enum Speech {
    /// "$24.00"; other currencies as "24.00 EUR". Negative amounts read "minus $5.00".
    public static func money(_ amount: Double, currency: String = "USD") -> String {
        let cents = Int((abs(amount) * 100).rounded())
        let whole = cents / 100
        var grouped = String(whole)
        var index = grouped.count - 3
        while index > 0 {
            grouped.insert(",", at: grouped.index(grouped.startIndex, offsetBy: index))
            index -= 3
        }
        let number = grouped + "." + (cents % 100 < 10 ? "0" : "") + String(cents % 100)
        let symbols = ["USD": "$", "CAD": "$", "AUD": "$", "EUR": "€", "GBP": "£"]
        let text = symbols[currency.uppercased()].map { $0 + number } ?? "\(number) \(currency.uppercased())"
        return amount < 0 && cents > 0 ? "minus " + text : text
    }

    /// An id spelled for the ear: "RF-000118" → "R F 0 0 0 1 1 8".
    public static func spell(_ id: String) -> String {
        id.uppercased().filter { $0.isLetter || $0.isNumber }.map(String.init).joined(separator: " ")
    }

    /// Digits one by one: "12345" → "1 2 3 4 5".
    public static func digits(_ value: String) -> String {
        value.filter(\.isNumber).map(String.init).joined(separator: " ")
    }

    /// An order id as spoken: "ORD-12345" → "order 1 2 3 4 5".
    public static func order(_ orderID: String) -> String {
        "order " + digits(orderID)
    }

    /// "a", "a and b", "a, b and c".
    public static func list(_ items: [String], conjunction: String = "and") -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items[items.count - 1]
        }
    }

    /// "1 day", "5 days".
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }

    /// An ISO date or timestamp ("2025-06-03", "2025-06-03T10:00:00Z") as "June 3"; the input
    /// unchanged when it is not one.
    public static func date(_ iso: String) -> String {
        let parts = iso.prefix(10).split(separator: "-")
        guard parts.count == 3, let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month), (1...31).contains(day)
        else { return iso }
        let names = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                     "November", "December"]
        return "\(names[month - 1]) \(day)"
    }

    /// Makes text from a knowledge base speakable: "3-5 business days" → "3 to 5 business days",
    /// no markdown symbols, collapsed whitespace.
    public static func speakable(_ text: String) -> String {
        var out = ""
        let scalars = Array(text.unicodeScalars)
        for (i, scalar) in scalars.enumerated() {
            if scalar == "-", i > 0, i + 1 < scalars.count,
               CharacterSet.decimalDigits.contains(scalars[i - 1]), CharacterSet.decimalDigits.contains(scalars[i + 1]) {
                out += " to "
            } else if "*_#`|<>".unicodeScalars.contains(scalar) {
                continue
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The first sentences of `text` up to about `limit` characters (at least one sentence).
    public static func firstSentences(_ text: String, limit: Int = 200) -> String {
        var sentences: [String] = []
        var current = ""
        let characters = Array(text)
        for (i, character) in characters.enumerated() {
            current.append(character)
            let atEnd = i + 1 == characters.count || characters[i + 1] == " "
            if ".!?".contains(character), atEnd, !(character == "." && i > 0 && characters[i - 1].isNumber && i + 1 < characters.count && characters[i + 1].isNumber) {
                sentences.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespaces)
        if !rest.isEmpty { sentences.append(rest) }
        var out = ""
        for sentence in sentences {
            if out.isEmpty { out = sentence; continue }
            if out.count + 1 + sentence.count > limit { break }
            out += " " + sentence
        }
        return out
    }
}
