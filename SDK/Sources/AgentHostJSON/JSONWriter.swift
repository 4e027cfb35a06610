/// Writes JSON text directly into a byte buffer: request bodies are built for every model round,
/// and going through dictionaries and JSONSerialization costs more than the rest of the turn.
/// The caller writes commas; `member` and `element` handle them when given `first`.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// A member name and colon, preceded by a comma unless it is the object's first.
    public mutating func key(_ name: String, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A string literal, escaped by `JSONString` (the one escaper of host and SDK).
    public mutating func string(_ value: String) {
        bytes.append(contentsOf: JSONString.quote(value).utf8)
    }

    public mutating func number(_ value: Double) {
        if value.rounded() == value, abs(value) < 1e15 { raw(String(Int(value))) } else { raw("\(value)") }
    }

    public mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }
}
