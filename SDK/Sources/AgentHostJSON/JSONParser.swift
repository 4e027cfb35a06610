/// The one JSON parser of host and SDK, over UTF-8 bytes (RFC 8259; numbers beyond Double are
/// refused). Hot paths on both sides use it: every agent step parses its context in the SDK, and
/// the host parses every model stream chunk. Foundation's JSONDecoder spent most of a turn
/// materialising the routing examples of every handoff target on every step (measured with
/// perf); this parser allocates only the values it keeps and can skip a top-level member
/// without building it.
struct JSONParser {
    typealias Failure = JSONValue.SyntaxError

    /// Objects and arrays nest at most this deep: the parser recurses once per level, and 20,000
    /// levels overflowed an 8 MB stack (a crash of the process, i.e. of the host).
    static let maxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    /// Parses `bytes` (a complete JSON text). `skip` is asked for each top-level object member,
    /// with the members read so far; returning true skips that member's value without building it.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>,
                      skip: (_ key: String, _ membersSoFar: [String: JSONValue]) -> Bool = { _, _ in false }) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(topLevel: true, skip: skip)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw Failure(message: "unexpected text after the JSON value", offset: parser.index) }
        return value
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private mutating func parseValue(topLevel: Bool = false,
                                     skip: (String, [String: JSONValue]) -> Bool = { _, _ in false }) throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw Failure(message: "unexpected end of JSON", offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(topLevel: topLevel, skip: skip)
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return .number(try parseNumber())
        }
    }

    private mutating func parseObject(topLevel: Bool, skip: (String, [String: JSONValue]) -> Bool) throws(Failure) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek(UInt8(ascii: "}")) { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else { throw Failure(message: "expected a member name", offset: index) }
            let key = try parseString()
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw Failure(message: "expected ':' after member name", offset: index) }
            index += 1
            skipWhitespace()
            if topLevel && skip(key, members) {
                try skipValue()
            } else {
                members[key] = try parseValue()
            }
            skipWhitespace()
            guard index < bytes.count else { throw Failure(message: "unterminated object", offset: index) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw Failure(message: "expected ',' or '}' in object", offset: index)
        }
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw Failure(message: "unterminated array", offset: index) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw Failure(message: "expected ',' or ']' in array", offset: index)
        }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= Self.maxDepth else { throw Failure(message: "nested deeper than \(Self.maxDepth) levels", offset: index) }
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw Failure(message: "control character in string", offset: index) }
            index += 1
        }
        var scalars = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        // A pair only when the next escape is a low surrogate; otherwise the high
                        // one stands alone (U+FFFD) and the next escape is read on its own.
                        let next = index
                        index += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = next
                        }
                    }
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"   // a lone surrogate
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw Failure(message: "invalid escape in string", offset: index - 1)
                }
            default:
                if byte < 0x20 { throw Failure(message: "control character in string", offset: index) }
                scalars.append(byte)
                index += 1
            }
        }
        throw Failure(message: "unterminated string", offset: index)
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Failure(message: "short \\u escape", offset: index) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Failure(message: "invalid \\u escape", offset: index)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(Failure) -> Double {
        let start = index
        while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let first = text.first, first == "-" || first.isNumber, let value = Double(text) else {
            throw Failure(message: "invalid value", offset: start)
        }
        // 1e400 reads as infinity, which JSON cannot carry: jsonString() would write "inf".
        guard value.isFinite else { throw Failure(message: "number out of range", offset: start) }
        return value
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// Skips one value without building it (strings are scanned for their closing quote only).
    private mutating func skipValue() throws(Failure) {
        var depth = 0
        repeat {
            skipWhitespace()
            guard index < bytes.count else { throw Failure(message: "unexpected end while skipping", offset: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1; index += 1
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            default:
                index += 1  // commas, colons, literals and numbers: consumed byte by byte
            }
        } while depth > 0 && index < bytes.count
        guard depth == 0 else { throw Failure(message: "unterminated value while skipping", offset: index) }
        // A bare literal or number at depth 0: consume the rest of it.
        while index < bytes.count, !Self.isDelimiter(bytes[index]) { index += 1 }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
            || byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private mutating func expect(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure(message: "invalid literal", offset: index) }
        for i in 0..<count where bytes[index + i] != literal.utf8Start[i] {
            throw Failure(message: "invalid literal", offset: index)
        }
        index += count
    }

    private func peek(_ byte: UInt8) -> Bool {
        index < bytes.count && bytes[index] == byte
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }
}
