import Foundation

/// The one JSON value type of host and SDK (module AgentHostJSON, docs/architecture.md): schemas,
/// settings, scratch state, model stream chunks, and anything else whose shape is not fixed.
/// Literal-expressible so schemas read like the JSON they produce.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    // The host's spellings (model and Realtime wire formats), kept so one type serves both.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    public var string: String? { stringValue }
    public var array: [JSONValue]? { arrayValue }
    public var isNull: Bool { self == .null }

    /// An integral number that fits an Int exactly, else nil.
    public var int: Int? {
        if case .number(let value) = self, value.rounded() == value, abs(value) < 9e15 { return Int(value) }
        return nil
    }

    /// Compact JSON text with sorted keys (stable output for descriptors and tests).
    public func jsonString() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    /// What is wrong with a text that is not JSON, and where (a byte offset).
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public let offset: Int
        public init(message: String, offset: Int) {
            self.message = message
            self.offset = offset
        }
        public var problem: String { message }
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    /// Parses JSON text.
    public static func parse(_ text: String) throws(SyntaxError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, SyntaxError> = text.withUTF8 { bytes in
            Result { () throws(SyntaxError) in try JSONParser.parse(bytes) }
        }
        return try result.get()
    }

    public static func parse(_ data: Data) throws(SyntaxError) -> JSONValue {
        let result: Result<JSONValue, SyntaxError> = data.withUnsafeBytes { raw in
            Result { () throws(SyntaxError) in try JSONParser.parse(raw.bindMemory(to: UInt8.self)) }
        }
        return try result.get()
    }

    /// Parses UTF-8 JSON bytes (the fast path: no Foundation decoder involved).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> JSONValue {
        try JSONParser.parse(bytes)
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(SyntaxError) -> JSONValue {
        try JSONParser.parse(bytes.bindMemory(to: UInt8.self))
    }

    /// Parses a JSON text whose top-level object members may be skipped unbuilt: `skip` is asked
    /// for each member with the members read so far (the SDK skips a step context's catalog when
    /// its version is cached).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>,
                             skippingMembers skip: (_ key: String, _ membersSoFar: [String: JSONValue]) -> Bool) throws(SyntaxError) -> JSONValue {
        try JSONParser.parse(bytes, skip: skip)
    }

    /// Encodes any Encodable into a JSONValue.
    public static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let data = try JSONEncoder().encode(value)
        return try parse(data)
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 {
                out += String(Int64(value))
            } else {
                out += "\(value)"
            }
        case .string(let value): JSONValue.writeString(value, to: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                members[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ value: String, to out: inout String) {
        out += JSONString.quote(value)
    }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
