/// What a tool's `Arguments` type cannot say about itself: a description for each property, and
/// JSON Schema keywords beyond its type (`minimum`, `maxLength`, `pattern`, `enum` of strings,
/// `default`). Merged into the schema derived from the type (`ArgumentSchema`).
///
///     struct Arguments: Decodable, Sendable, DescribedArguments {
///         let sku: String
///         let quantity: Int
///         static let argumentDetails: [String: JSONValue] = [
///             "sku": ["description": "Catalogue item id, e.g. MUG-01"],
///             "quantity": ["minimum": 1],
///         ]
///     }
public protocol DescribedArguments {
    static var argumentDetails: [String: JSONValue] { get }
}

extension Tool {
    /// Derived from `Arguments` (`ArgumentSchema.derive`): no hand-written schema repeating the
    /// struct. A tool declares `parameters` itself only for what a Decodable type cannot express.
    public static var parameters: JSONValue { ArgumentSchema.derive(Arguments.self) }
}

/// Derives a tool's JSON Schema (an object schema, as OpenAI function calling wants) from its
/// Decodable arguments type by decoding it once with a decoder that records what is asked for:
/// each `decode` is a required property of that type, each `decodeIfPresent` an optional one,
/// nested Decodable types become nested object or array schemas, and `CaseIterable` string enums
/// become `enum`s. Objects refuse other properties (`additionalProperties: false`), as the
/// decoded struct would ignore them.
///
/// Limits: a type whose `init(from:)` rejects the placeholder values it is given ("" and 0) or
/// decodes a `[String: X]` dictionary cannot be derived; derivation then yields a permissive
/// object schema and such a tool should declare `parameters` itself.
public enum ArgumentSchema {
    public static func derive<T: Decodable>(_ type: T.Type) -> JSONValue {
        if T.self == RawJSONArguments.self || T.self == JSONValue.self {
            return ["type": "object", "additionalProperties": true]
        }
        do {
            return try SchemaRecorder.schema(of: T.self).schema
        } catch {
            return ["type": "object", "additionalProperties": true]
        }
    }
}

/// One Decodable type's schema as it is recorded.
final class SchemaRecorder: Decoder {
    enum Shape {
        case unknown
        case object(properties: [(String, JSONValue)], required: [String])
        case array(items: JSONValue?)
        case scalar(JSONValue)
    }

    var shape = Shape.unknown
    let codingPath: [any CodingKey] = []
    let userInfo: [CodingUserInfoKey: Any] = [:]

    struct Underivable: Error {}

    /// The schema of `T`, and a placeholder value of it (to continue the enclosing decode).
    static func schema<T: Decodable>(of type: T.Type) throws -> (schema: JSONValue, value: T) {
        if let primitive = primitive(T.self) { return primitive }
        if T.self == JSONValue.self, let value = JSONValue.null as? T { return ([:], value) }
        if let enumeration = T.self as? any CaseIterable.Type, let listed = stringCases(enumeration), let first = listed.cases.first as? T {
            return (["type": "string", "enum": .array(listed.raw.map(JSONValue.string))], first)
        }
        let recorder = SchemaRecorder()
        let value = try T(from: recorder)
        var schema = recorder.schema
        if let described = T.self as? any DescribedArguments.Type { schema = merge(schema, details: described.argumentDetails) }
        return (schema, value)
    }

    var schema: JSONValue {
        switch shape {
        case .unknown: return [:]
        case .scalar(let schema): return schema
        case .array(let items): return ["type": "array", "items": items ?? [:]]
        case .object(let properties, let required):
            var object: [String: JSONValue] = [
                "type": "object", "properties": .object(Dictionary(properties, uniquingKeysWith: { first, _ in first })),
                "additionalProperties": false,
            ]
            if !required.isEmpty { object["required"] = .array(required.map(JSONValue.string)) }
            return .object(object)
        }
    }

    static func merge(_ schema: JSONValue, details: [String: JSONValue]) -> JSONValue {
        guard case .object(var object) = schema, case .object(var properties)? = object["properties"] else { return schema }
        for (name, extra) in details {
            guard case .object(let keywords) = extra, case .object(var property)? = properties[name] else { continue }
            for (keyword, value) in keywords { property[keyword] = value }
            properties[name] = .object(property)
        }
        object["properties"] = .object(properties)
        return .object(object)
    }

    private static func primitive<T>(_ type: T.Type) -> (schema: JSONValue, value: T)? {
        func make(_ kind: String, _ value: Any) -> (schema: JSONValue, value: T)? {
            (value as? T).map { (["type": .string(kind)], $0) }
        }
        switch type {
        case is String.Type: return make("string", "")
        case is Bool.Type: return make("boolean", false)
        case is Double.Type: return make("number", 0.0)
        case is Float.Type: return make("number", Float(0))
        case is Int.Type: return make("integer", 0)
        case is Int8.Type: return make("integer", Int8(0))
        case is Int16.Type: return make("integer", Int16(0))
        case is Int32.Type: return make("integer", Int32(0))
        case is Int64.Type: return make("integer", Int64(0))
        case is UInt.Type: return make("integer", UInt(0))
        case is UInt8.Type: return make("integer", UInt8(0))
        case is UInt16.Type: return make("integer", UInt16(0))
        case is UInt32.Type: return make("integer", UInt32(0))
        case is UInt64.Type: return make("integer", UInt64(0))
        default: return nil
        }
    }

    private static func stringCases(_ type: any CaseIterable.Type) -> (cases: [Any], raw: [String])? {
        func open<C: CaseIterable>(_ type: C.Type) -> [Any] { Array(type.allCases) }
        let cases = open(type)
        let raw = cases.compactMap { ($0 as? any RawRepresentable)?.rawValue as? String }
        return raw.count == cases.count && !cases.isEmpty ? (cases, raw) : nil
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        shape = .object(properties: [], required: [])
        return KeyedDecodingContainer(KeyedRecorder<Key>(recorder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        shape = .array(items: nil)
        return UnkeyedRecorder(recorder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleRecorder(recorder: self)
    }

    func record(_ name: String, _ schema: JSONValue, required: Bool) {
        guard case .object(var properties, var names) = shape else { return }
        properties.append((name, schema))
        if required { names.append(name) }
        shape = .object(properties: properties, required: names)
    }
}

private struct KeyedRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (schema, value) = try SchemaRecorder.schema(of: T.self)
        recorder.record(key.stringValue, schema, required: true)
        return value
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let (schema, _) = try SchemaRecorder.schema(of: T.self)
        recorder.record(key.stringValue, schema, required: false)
        return nil
    }

    // Every primitive overload, so that optional properties are seen as optional (the protocol's
    // default decodeIfPresent would call decode and record them as required).
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try required(Bool.self, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try required(String.self, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try required(Double.self, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try required(Float.self, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try required(Int.self, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try required(Int8.self, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try required(Int16.self, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try required(Int32.self, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try required(Int64.self, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try required(UInt.self, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try required(UInt8.self, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try required(UInt16.self, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try required(UInt32.self, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try required(UInt64.self, key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(Bool.self, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(String.self, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(Double.self, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(Float.self, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(Int.self, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(Int8.self, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(Int16.self, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(Int32.self, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(Int64.self, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(UInt.self, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(UInt8.self, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(UInt16.self, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(UInt32.self, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(UInt64.self, key) }

    private func required<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try decode(T.self, forKey: key)
    }

    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        try decodeIfPresent(T.self, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw SchemaRecorder.Underivable()
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw SchemaRecorder.Underivable()
    }

    func superDecoder() throws -> any Decoder { throw SchemaRecorder.Underivable() }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw SchemaRecorder.Underivable() }
}

/// An array: its items' schema is recorded from one element, then the array ends.
private final class UnkeyedRecorder: UnkeyedDecodingContainer {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { [] }
    var count: Int? { nil }
    var currentIndex = 0
    var isAtEnd: Bool { currentIndex > 0 }

    init(recorder: SchemaRecorder) { self.recorder = recorder }

    func decodeNil() throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try SchemaRecorder.schema(of: T.self)
        recorder.shape = .array(items: schema)
        currentIndex += 1
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw SchemaRecorder.Underivable()
    }

    func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { throw SchemaRecorder.Underivable() }
    func superDecoder() throws -> any Decoder { throw SchemaRecorder.Underivable() }
}

/// A value decoded as one primitive (a RawRepresentable type, a wrapper): that primitive's schema.
private struct SingleRecorder: SingleValueDecodingContainer {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try SchemaRecorder.schema(of: T.self)
        recorder.shape = .scalar(schema)
        return value
    }
}
