import AgentHostJSON
import Foundation
import Synchronization

/// Decodes a `Decodable` type from an already parsed `JSONValue`, so text parsed once with the
/// SDK's parser is not serialised and parsed a second time by Foundation's `JSONDecoder`.
///
/// Behaves as `JSONDecoder` with its default strategies for what tool answers and settings
/// contain: strings, numbers, booleans, null (absent and null both decode `nil` for optionals),
/// arrays and objects; `URL` from a string, `Data` from base64, `Date` as seconds since 2001
/// (`JSONDecoder`'s `.deferredToDate`). Differences: numbers are `Double`s, so an integer beyond
/// ±2⁵³ is rejected rather than read exactly (send such ids as strings), and a `JSONValue` member is
/// handed over as parsed (its keys are never converted).
///
/// With `.convertFromSnakeCase`, an object's key `order_id` answers the coding key `orderId`, as
/// `JSONDecoder.KeyDecodingStrategy.convertFromSnakeCase` converts: the first word lowercased,
/// each later word capitalised, inner runs of underscores dropped, leading and trailing ones kept.
///
/// Thread safety: a value type with no shared state; use one from any thread.
public struct JSONValueDecoder: Sendable {
    public enum KeyDecoding: Sendable {
        /// Coding keys match the object's keys exactly.
        case useDefaultKeys
        /// Coding keys in camelCase match the object's snake_case keys.
        case convertFromSnakeCase
    }

    public var keyDecoding: KeyDecoding

    public init(keyDecoding: KeyDecoding = .useDefaultKeys) {
        self.keyDecoding = keyDecoding
    }

    /// Throws `DecodingError` (with the coding path) when the value does not have T's shape.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONValueDecoding(value: value, codingPath: [], snakeCase: keyDecoding == .convertFromSnakeCase).unwrap(T.self)
    }
}

/// One position in the value being decoded; the containers below read from it.
struct JSONValueDecoding: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let snakeCase: Bool
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw DecodingError.typeMismatch([String: Any].self, mismatch("an object"))
        }
        return KeyedDecodingContainer(JSONValueKeyedContainer<Key>(members: members, codingPath: codingPath, snakeCase: snakeCase))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else {
            throw DecodingError.typeMismatch([Any].self, mismatch("an array"))
        }
        return JSONValueUnkeyedContainer(items: items, codingPath: codingPath, snakeCase: snakeCase)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func child(_ value: JSONValue, key: any CodingKey) -> JSONValueDecoding {
        JSONValueDecoding(value: value, codingPath: codingPath + [key], snakeCase: snakeCase)
    }

    func mismatch(_ expected: String) -> DecodingError.Context {
        DecodingError.Context(codingPath: codingPath, debugDescription: "Expected \(expected) but found \(value.kindDescription) instead.")
    }

    /// T from this value: the scalar types directly, the rest through their `init(from:)`.
    func unwrap<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        if T.self == String.self { return try decode(String.self) as! T }
        if T.self == Double.self { return try decode(Double.self) as! T }
        if T.self == Int.self { return try decode(Int.self) as! T }
        if T.self == Bool.self { return try decode(Bool.self) as! T }
        if T.self == URL.self {
            let text = try decode(String.self)
            guard let url = URL(string: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Invalid URL string."))
            }
            return url as! T
        }
        if T.self == Data.self {
            guard let data = Data(base64Encoded: try decode(String.self)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Encountered Data is not valid Base64."))
            }
            return data as! T
        }
        if let dictionary = T.self as? any StringKeyedDictionary.Type { return try dictionary.init(decoding: self) as! T }
        return try T(from: self)
    }
}

/// `[String: V]` keeps its keys as the JSON has them under every key strategy (JSONDecoder's
/// behaviour too): they are data, not coding keys.
protocol StringKeyedDictionary {
    init(decoding: JSONValueDecoding) throws
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Decodable {
    init(decoding decoder: JSONValueDecoding) throws {
        guard case .object(let members) = decoder.value else {
            throw DecodingError.typeMismatch([String: Any].self, decoder.mismatch("an object"))
        }
        self.init(minimumCapacity: members.count)
        for (key, value) in members {
            self[key] = try decoder.child(value, key: JSONValueIndexKey(stringValue: key)).unwrap(Value.self)
        }
    }
}

extension JSONValueDecoding: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let flag) = value else { throw DecodingError.typeMismatch(Bool.self, mismatch("a boolean")) }
        return flag
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let text) = value else { throw DecodingError.typeMismatch(String.self, mismatch("a string")) }
        return text
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard case .number(let number) = value else { throw DecodingError.typeMismatch(Double.self, mismatch("a number")) }
        return number
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try unwrap(T.self) }

    /// An integral number that `I` holds exactly (and that a Double held exactly: |n| ≤ 2⁵³).
    private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let number = try decode(Double.self)
        guard number.rounded() == number, abs(number) <= 9_007_199_254_740_992, let exact = I(exactly: number) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Parsed JSON number <\(number)> does not fit in \(I.self)."))
        }
        return exact
    }
}

struct JSONValueKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]
    let snakeCase: Bool

    var allKeys: [Key] {
        members.keys.compactMap { Key(stringValue: snakeCase ? SnakeCaseKeys.converted($0) : $0) }
    }

    func contains(_ key: Key) -> Bool { member(key) != nil }

    /// The member the key names: with snake case, its usual spelling first ("orderId" →
    /// "order_id", one lookup), then every key that converts to it.
    private func member(_ key: Key) -> JSONValue? {
        let name = key.stringValue
        guard snakeCase else { return members[name] }
        if let spelling = SnakeCaseKeys.spelling(of: name), let found = members[spelling] { return found }
        if let found = members[name], SnakeCaseKeys.converted(name) == name { return found }
        for (jsonKey, found) in members where jsonKey.utf8.contains(95) && SnakeCaseKeys.converted(jsonKey) == name {
            return found
        }
        return nil
    }

    private func required(_ key: Key) throws -> JSONValueDecoding {
        guard let found = member(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue)."))
        }
        return JSONValueDecoding(value: found, codingPath: codingPath + [key], snakeCase: snakeCase)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try required(key).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try required(key).decode(Bool.self) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try required(key).decode(String.self) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try required(key).decode(Double.self) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try required(key).decode(Int.self) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try required(key).unwrap(T.self) }

    // Optionals: an absent key and a null both give nil, as JSONDecoder does.
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(key)?.decode(Bool.self) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(key)?.decode(String.self) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(key)?.decode(Double.self) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(key)?.decode(Int.self) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try present(key)?.unwrap(T.self) }

    private func present(_ key: Key) -> JSONValueDecoding? {
        guard let found = member(key), found != .null else { return nil }
        return JSONValueDecoding(value: found, codingPath: codingPath + [key], snakeCase: snakeCase)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try required(key).container(keyedBy: NestedKey.self)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try required(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoding(value: members["super"] ?? .null, codingPath: codingPath + [JSONValueIndexKey(stringValue: "super")], snakeCase: snakeCase)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoding(value: member(key) ?? .null, codingPath: codingPath + [key], snakeCase: snakeCase)
    }
}

struct JSONValueUnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    let snakeCase: Bool
    private(set) var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey], snakeCase: Bool) {
        self.items = items
        self.codingPath = codingPath
        self.snakeCase = snakeCase
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> JSONValueDecoding {
        let key = JSONValueIndexKey(index: currentIndex)
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath + [key], debugDescription: "Unkeyed container is at end."))
        }
        currentIndex += 1
        return JSONValueDecoding(value: items[key.intValue!], codingPath: codingPath + [key], snakeCase: snakeCase)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().unwrap(T.self) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

/// An array position or "super" in a coding path.
struct JSONValueIndexKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init?(intValue: Int) { self.init(index: intValue) }
}

/// The snake_case ↔ camelCase spelling of keys.
enum SnakeCaseKeys {
    /// "order_id" → "orderId", "_private_key_" → "_privateKey_", "Order__ID" → "orderId"; a key
    /// with no inner underscore is returned as it is.
    static func camelCase(_ key: String) -> String {
        let bytes = Array(key.utf8)
        guard let first = bytes.firstIndex(where: { $0 != 95 }) else { return key }
        var last = bytes.count - 1
        while last > first && bytes[last] == 95 { last -= 1 }
        let words = bytes[first...last].split(separator: 95)
        guard words.count > 1 else { return key }
        var out = String(decoding: bytes[..<first], as: UTF8.self)
        out += String(decoding: words[0], as: UTF8.self).lowercased()
        for word in words.dropFirst() { out += String(decoding: word, as: UTF8.self).capitalized }
        out += String(decoding: bytes[(last + 1)...], as: UTF8.self)
        return out
    }

    /// "orderId" → "order_id" when that converts back to the key (nil when no snake_case key
    /// does, e.g. "Order"). Coding keys are a program's own, few: each is worked out once.
    static func spelling(of name: String) -> String? {
        if let known = spellings.withLock({ $0[name] }) { return known }
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count + 4)
        for byte in name.utf8 {
            if byte >= 65 && byte <= 90 {
                if !out.isEmpty { out.append(95) }
                out.append(byte + 32)
            } else {
                out.append(byte)
            }
        }
        let spelling = String(decoding: out, as: UTF8.self)
        let found: String? = camelCase(spelling) == name ? spelling : nil
        spellings.withLock { if $0.count < 4096 { $0[name] = found } }
        return found
    }

    /// `camelCase(key)`, remembered: an absent optional member is looked for among every key of
    /// its object, each answer of the same backend has the same keys, and converting was 0.7 % of
    /// a chat turn's CPU. Keys come from outside, so the memory is bounded: past 4,096 keys
    /// each is converted afresh.
    static func converted(_ key: String) -> String {
        if let known = conversions.withLock({ $0[key] }) { return known }
        let camel = camelCase(key)
        conversions.withLock { if $0.count < 4096 { $0[key] = camel } }
        return camel
    }

    private static let spellings = Mutex<[String: String?]>([:])
    private static let conversions = Mutex<[String: String]>([:])
}

extension JSONValue {
    /// "a string", "null"…: what a decoding error says it found.
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
