import Foundation

/// Bounds on what a caller controls, checked before anything else touches it: a caller id and
/// a turn's text are measured in bytes (not characters: 400,000 combining accents are one
/// character), so no request can make the loop featurise, log or store something caller-sized.
enum CallerInput {
    /// Caller ids are phone numbers or chat ids.
    static let maxCallerBytes = 64

    /// Why `caller` is not an acceptable caller id, or nil.
    static func callerProblem(_ caller: String) -> String? {
        if caller.isEmpty { return "the caller id is empty: use a phone number or chat id" }
        let bytes = caller.utf8.count
        if bytes > maxCallerBytes {
            return "the caller id is \(bytes) bytes; at most \(maxCallerBytes) bytes (a phone number or chat id)"
        }
        for scalar in caller.unicodeScalars where !isPrintable(scalar) {
            return "the caller id contains U+\(String(scalar.value, radix: 16, uppercase: true)), which is not printable: use a phone number or chat id"
        }
        return nil
    }

    /// True when `text` is empty or only whitespace (what `trimmingCharacters(in: .whitespaces)`
    /// would empty), decided at the first other character: trimming built a trimmed copy through
    /// NSString on every turn (~1 % of the host's CPU per chat turn, docs/benchmarks.md).
    static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { CharacterSet.whitespaces.contains($0) }
    }

    /// Why `text` is too large for one turn (`limit` bytes), or nil.
    static func textProblem(_ text: String, limit: Int) -> String? {
        let bytes = text.utf8.count
        guard bytes > limit else { return nil }
        return "the turn's text is \(bytes) bytes; at most \(limit) bytes per turn (server.limits.max_turn_text_bytes)"
    }

    /// Letters, marks, numbers, punctuation, symbols and the plain space; no controls, format
    /// characters (bidi overrides, zero-width joiners), separators other than space, private-use
    /// or unassigned code points.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}
