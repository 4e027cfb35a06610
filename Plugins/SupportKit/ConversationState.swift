import AgentHostSDK

/// An agent's scratch state between steps (`Turn.state` in, `AgentActions.setState` out) as a
/// small typed key/value bag.
public struct ConversationState: Sendable, Equatable {
    public private(set) var values: [String: JSONValue]

    public init(_ state: JSONValue?) {
        if case .object(let members)? = state { values = members } else { values = [:] }
    }

    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set { values[key] = newValue == .null ? nil : newValue }
    }

    public func string(_ key: String) -> String? { values[key]?.stringValue }
    public func int(_ key: String) -> Int? { values[key]?.numberValue.map { Int($0) } }
    public func double(_ key: String) -> Double? { values[key]?.numberValue }
    public func bool(_ key: String) -> Bool { values[key]?.boolValue ?? false }

    public mutating func set(_ key: String, _ value: String?) { self[key] = value.map(JSONValue.string) }
    public mutating func set(_ key: String, _ value: Int?) { self[key] = value.map { .number(Double($0)) } }
    public mutating func set(_ key: String, _ value: Double?) { self[key] = value.map(JSONValue.number) }
    public mutating func set(_ key: String, _ value: Bool) { self[key] = value ? .bool(true) : nil }
    public mutating func remove(_ keys: String...) { for key in keys { values[key] = nil } }

    public var json: JSONValue { .object(values) }
}
