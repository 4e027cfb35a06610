import AgentHostSDK
import FuzzKit

/// The JSON parser host and SDK share (AgentHostJSON's `JSONValue.parse`, the plugins' and the
/// model stream's hot path): any bytes give a value or a `JSONValue.SyntaxError`; a value written with `jsonString()` parses back to itself, and writing is
/// stable (the same text again).
enum SDKJSONTarget {
    static let target = FuzzTarget(
        name: "sdk-json",
        summary: "SDK/host JSON parser: value or SyntaxError; jsonString() round trip",
        dictionary: ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u0000", "\\n",
                     "true", "false", "null", "-", "0", "1e308", "1e309", "-1e400", "1e-400", "123456789012345678901234567890",
                     "0.1", "-0", "1E+2", "\"a\":", " ", "\t", "\n", "\u{FEFF}", "[[[[[[[[", "{\"a\":{\"a\":"],
        maxInputLength: 4_096
    ) { input throws(FuzzFailure) in
        let value: JSONValue
        do {
            value = try input.withUnsafeBufferPointer { try JSONValue.parse($0) }
        } catch {
            // Typed throws: the parser can only fail with JSONValue.SyntaxError.
            return signature(["error", "\(error)".prefix(40).description])
        }
        let text = value.jsonString()
        let again: JSONValue
        do {
            again = try JSONValue.parse(text)
        } catch {
            throw FuzzFailure("jsonString() wrote text that does not parse: \(text.prefix(200)) (\(error))")
        }
        try fuzzCheckEqual(again, value, "the value parsed back from jsonString()")
        try fuzzCheckEqual(again.jsonString(), text, "jsonString() of the value parsed back")
        return signature(["ok", shape(value)])
    }

    /// The value's structure down to depth 3, for signatures.
    static func shape(_ value: JSONValue, depth: Int = 0) -> String {
        guard depth < 3 else { return "…" }
        switch value {
        case .null: return "n"
        case .bool: return "b"
        case .number: return "#"
        case .string: return "s"
        case .array(let items): return "[" + items.prefix(4).map { shape($0, depth: depth + 1) }.joined() + "]"
        case .object(let members): return "{" + members.keys.sorted().prefix(4).map { shape(members[$0]!, depth: depth + 1) }.joined() + "}"
        }
    }
}
