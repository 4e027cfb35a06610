/// Request bodies read as JSON (RFC 8259, strict) without losing what the client wrote: a number
/// keeps its literal text, so money and counts are checked exactly. Foundation's JSONDecoder turns
/// `0.005` into a Double that rounds to a cent, `1e308` into a Double that traps when made an Int,
/// and reports `2.5` for an integer or `1e400` anywhere as "not valid JSON".
///
/// Also refuses what a lenient parser would let through and a strict one downstream might read
/// differently: duplicate keys, invalid UTF-8, nesting deeper than `maxDepth`.
enum RequestJSON {
    indirect enum Value: Equatable {
        case null
        case bool(Bool)
        /// The literal as written (validated against the JSON number grammar).
        case number(String)
        case string(String)
        case array([Value])
        case object([String: Value])

        /// "a string", "a number"... for messages.
        var kind: String {
            switch self {
            case .null: "null"
            case .bool: "a boolean"
            case .number: "a number"
            case .string: "a string"
            case .array: "a list"
            case .object: "an object"
            }
        }
    }

    struct SyntaxError: Error, Equatable {
        let message: String
        /// Byte offset where the problem was found.
        let offset: Int
        /// The top-level member whose value it was found in, if any.
        var field: String?
    }

    static let maxDepth = 32

    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> Value {
        try bytes.withUnsafeBufferPointer { buffer throws(SyntaxError) in
            var reader = Reader(bytes: buffer)
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.index == buffer.count else { throw reader.failure("unexpected text after the JSON value") }
            return value
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// The top-level member being read, for messages.
        var field: String?

        func failure(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: index, field: field) }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> Value {
            guard index < bytes.count else { throw failure("unexpected end of JSON") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            case UInt8(ascii: "N"), UInt8(ascii: "I"):
                throw failure("NaN and Infinity are not JSON numbers")
            default:
                throw failure("unexpected character")
            }
        }

        mutating func object(depth: Int) throws(SyntaxError) -> Value {
            guard depth <= RequestJSON.maxDepth else { throw failure("nested deeper than \(RequestJSON.maxDepth) levels") }
            index += 1
            var members: [String: Value] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
                let keyOffset = index
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
                index += 1
                skipWhitespace()
                if depth == 1 { field = key }
                let value = try value(depth: depth)
                if depth == 1 { field = nil }
                guard members.updateValue(value, forKey: key) == nil else {
                    throw SyntaxError(message: "duplicate key '\(RequestJSON.shown(key))'", offset: keyOffset, field: field)
                }
                skipWhitespace()
                guard index < bytes.count else { throw failure("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw failure("expected ',' or '}' in an object")
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> Value {
            guard depth <= RequestJSON.maxDepth else { throw failure("nested deeper than \(RequestJSON.maxDepth) levels") }
            index += 1
            var elements: [Value] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw failure("unterminated list") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw failure("expected ',' or ']' in a list")
            }
        }

        mutating func string() throws(SyntaxError) -> String {
            index += 1   // the opening quote
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    // Escapes only produce valid scalars, so this fails only on raw invalid UTF-8.
                    guard let text = String(validating: out, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
                    return text
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw failure("unterminated string") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                    default:
                        index -= 1
                        throw failure("invalid escape in a string")
                    }
                case 0x00..<0x20:
                    throw failure("control character in a string")
                default:
                    out.append(byte)
                    index += 1
                }
            }
            throw failure("unterminated string")
        }

        /// After `\u`: one scalar, from a surrogate pair if need be; a lone surrogate is an error.
        mutating func unicodeEscape() throws(SyntaxError) -> String.UTF8View {
            let first = try hex4()
            var scalar = first
            if (0xD800..<0xDC00).contains(first) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("lone UTF-16 surrogate in a \\u escape")
                }
                index += 2
                let second = try hex4()
                guard (0xDC00..<0xE000).contains(second) else { throw failure("lone UTF-16 surrogate in a \\u escape") }
                scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            guard let value = Unicode.Scalar(scalar) else { throw failure("lone UTF-16 surrogate in a \\u escape") }
            return String(Character(value)).utf8
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard index < bytes.count, let digit = RequestJSON.hexDigit(bytes[index]) else { throw failure("invalid \\u escape") }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as written.
        mutating func number() throws(SyntaxError) -> String {
            let start = index
            func digits(_ reader: inout Reader) -> Int {
                let from = reader.index
                while reader.index < reader.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(reader.bytes[reader.index]) {
                    reader.index += 1
                }
                return reader.index - from
            }
            if bytes[index] == UInt8(ascii: "-") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "I") { throw failure("NaN and Infinity are not JSON numbers") }
            }
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
                throw failure("invalid number")
            }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                _ = digits(&self)
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw failure("invalid number: no digits after the decimal point") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw failure("invalid number: no digits in the exponent") }
            }
            if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                throw failure("invalid number: leading zero")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "+")
                || bytes[index] == UInt8(ascii: "-") || (bytes[index] | 0x20 >= UInt8(ascii: "a") && bytes[index] | 0x20 <= UInt8(ascii: "z")) {
                throw failure("invalid number")   // 0x10, 1.2.3, 5e3e3: say so in the field, not later
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count,
                  (0..<count).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] }) else { throw failure("unexpected character") }
            index += count
        }
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Client text quoted in a message: at most 40 characters, control characters shown as '?'.
    static func shown(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.prefix(40).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
        return text.unicodeScalars.count > 40 ? cleaned + "…" : cleaned
    }
}

/// A JSON number literal as an exact decimal: `digits` × 10^`exponent`, with no leading or
/// trailing zeros in `digits` (so zero is no digits). Exponents are clamped far beyond anything
/// the API accepts, so `1e999999999999` is simply "too large", never an overflow.
struct DecimalLiteral: Equatable {
    let negative: Bool
    let digits: [UInt8]
    let exponent: Int

    private static let exponentClamp = 1_000_000

    /// `text` must match the JSON number grammar (RequestJSON checked it).
    init(_ text: String) {
        var bytes = Array(text.utf8)[...]
        negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        var mantissa: [UInt8] = []
        var exponent = 0
        var afterPoint = false
        while let byte = bytes.first, byte != UInt8(ascii: "e"), byte != UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if byte == UInt8(ascii: ".") { afterPoint = true; continue }
            mantissa.append(byte - UInt8(ascii: "0"))
            if afterPoint { exponent -= 1 }
        }
        if !bytes.isEmpty {
            bytes = bytes.dropFirst()   // e or E
            let exponentNegative = bytes.first == UInt8(ascii: "-")
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            var written = 0
            for byte in bytes { written = Swift.min(written * 10 + Int(byte - UInt8(ascii: "0")), Self.exponentClamp) }
            exponent += exponentNegative ? -written : written
        }
        // Normalise: no leading zeros, trailing zeros moved into the exponent.
        let leading = mantissa.firstIndex { $0 != 0 } ?? mantissa.endIndex
        mantissa.removeFirst(leading)
        while mantissa.last == 0 {
            mantissa.removeLast()
            exponent += 1
        }
        digits = mantissa
        self.exponent = mantissa.isEmpty ? 0 : exponent
    }

    var isZero: Bool { digits.isEmpty }

    /// Digits after the decimal point once trailing zeros are dropped ("1.50" has 1).
    var decimalPlaces: Int { Swift.max(0, -exponent) }

    /// |value| × 10^`scale` with any fraction dropped; nil when that reaches 10^18.
    func magnitude(scaledBy scale: Int) -> Int? {
        let wholeDigits = digits.count + exponent + scale   // digits left of the point once scaled
        guard wholeDigits <= 18 else { return nil }
        guard wholeDigits > 0 else { return 0 }
        var value = 0
        for position in 0..<wholeDigits { value = value * 10 + (position < digits.count ? Int(digits[position]) : 0) }
        return value
    }
}
