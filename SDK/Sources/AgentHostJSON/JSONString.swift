/// JSON string literals written directly: the host's hot paths (step contexts, events, model and
/// Realtime requests) build JSON text without JSONSerialization, which costs ~0.6 ms for a 13 KB
/// step context on Linux. It lives in AgentHostJSON, the module host and SDK share, and is the
/// one escaper: JSONValue and JSONWriter write strings through it.
public enum JSONString {
    /// `value` as a JSON string literal, quotes included.
    public static func quote(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                // Control characters, and the two separators JavaScript treats as line ends.
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
