/// JSON string literals written directly: the host's hot paths (step contexts, events, model and
/// Realtime requests) build JSON text without JSONSerialization, which costs ~0.6 ms for a 13 KB
/// step context on Linux. It lives in AgentHostJSON, the module host and SDK share, and is the
/// one escaper: JSONValue and JSONWriter write strings through it.
public enum JSONString {
    /// `value` as a JSON string literal, quotes included.
    ///
    /// Works on UTF-8 bytes, not Unicode scalars: appending scalar by scalar to a `String` was
    /// the host's largest single cost per chat turn (~10 % of a loop's CPU in `server`'s profile,
    /// docs/benchmarks.md "CPU per chat turn"), since every event, tool result and step context
    /// goes through here. Text with nothing to escape (most of it) is copied whole.
    public static func quote(_ value: String) -> String {
        var value = value
        return value.withUTF8 { bytes in
            guard let first = bytes.firstIndex(where: needsEscape) else {
                // The SDK declares no platforms: plugin authors may build it on an older macOS.
                guard #available(macOS 11, iOS 14, tvOS 14, watchOS 7, *) else {
                    return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
                }
                return String(unsafeUninitializedCapacity: bytes.count + 2) { out in
                    out[0] = quoteMark
                    if let base = bytes.baseAddress { out.baseAddress!.advanced(by: 1).update(from: base, count: bytes.count) }
                    out[bytes.count + 1] = quoteMark
                    return bytes.count + 2
                }
            }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 16)
            out.append(quoteMark)
            out.append(contentsOf: bytes[..<first])
            var index = first
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case quoteMark: escaped(quoteMark, into: &out)
                case backslash: escaped(backslash, into: &out)
                case 0x0A: escaped(UInt8(ascii: "n"), into: &out)
                case 0x0D: escaped(UInt8(ascii: "r"), into: &out)
                case 0x09: escaped(UInt8(ascii: "t"), into: &out)
                case 0..<0x20: unicodeEscape(UInt32(byte), into: &out)
                case 0xE2 where index + 1 < bytes.count && bytes[index] == 0x80 && (bytes[index + 1] == 0xA8 || bytes[index + 1] == 0xA9):
                    // U+2028 and U+2029 (E2 80 A8 / A9): the two separators JavaScript treats as line ends.
                    unicodeEscape(bytes[index + 1] == 0xA8 ? 0x2028 : 0x2029, into: &out)
                    index += 2
                default: out.append(byte)
                }
            }
            out.append(quoteMark)
            return String(decoding: out, as: UTF8.self)
        }
    }

    private static let quoteMark = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// True for a byte that may start an escape: `"`, `\`, a control character, or the lead byte
    /// of U+2028/U+2029 (0xE2 also leads other characters: the slow path looks at what follows).
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == quoteMark || byte == backslash || byte == 0xE2
    }

    /// A backslash and `byte` (two appends: an array literal here would allocate per escape).
    @inline(__always)
    private static func escaped(_ byte: UInt8, into out: inout [UInt8]) {
        out.append(backslash)
        out.append(byte)
    }

    /// `\uXXXX`, lowercase hex, as JSONSerialization-free writers here always wrote it.
    private static func unicodeEscape(_ value: UInt32, into out: inout [UInt8]) {
        escaped(UInt8(ascii: "u"), into: &out)
        for shift in stride(from: 12, through: 0, by: -4) {
            let digit = UInt8((value >> UInt32(shift)) & 0xF)
            out.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
    }
}
