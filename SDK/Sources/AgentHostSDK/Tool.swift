import Foundation

/// A tool: one function agents (or a model) may call, written as ordinary Swift.
///
///     struct LookupOrder: Tool {
///         static let id = "com.example.tools.lookup-order"
///         static let name = "lookup_order"
///         ...
///         struct Arguments: Decodable, Sendable { let order_id: String }
///         func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String { ... }
///     }
///
/// The SDK decodes `Arguments` from the call's JSON (a mismatch is reported to the agent as an
/// invalid-argument failure naming the field), runs `call`, and completes the call exactly once
/// with the returned text or the thrown error.
public protocol Tool: PluginComponent {
    associatedtype Arguments: Decodable & Sendable
    /// The function name, [A-Za-z0-9_-]{1,64}: "lookup_order".
    static var name: String { get }
    /// JSON Schema of the arguments, an object schema as in OpenAI function calling.
    static var parameters: JSONValue { get }
    /// Does the work. The returned text (often JSON) goes to the agent as the tool's output.
    func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String
}

/// A tool whose work is quick and needs no awaiting (pure computation, lookups in memory).
/// The SDK runs it inline, inside the host's invoke, with no task or thread hop.
public protocol SynchronousTool: Tool {
    func callSynchronously(_ arguments: Arguments, context: ToolCallContext) throws -> String
}

extension SynchronousTool {
    public func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String {
        try callSynchronously(arguments, context: context)
    }
}

/// Arguments type for tools that want the raw JSON text instead of a decoded struct.
public struct RawJSONArguments: Decodable, Sendable {
    public let json: String

    public init(json: String) {
        self.json = json
    }

    public init(from decoder: Decoder) throws {
        // The SDK passes raw text without decoding; reaching this means it was decoded
        // elsewhere, from which we can only re-encode the value.
        self.json = try JSONValue(from: decoder).jsonString()
    }
}

/// Who and what a tool call is for.
public struct ToolCallContext: Sendable {
    public let callID: UInt64
    public let sessionID: String
    public let callerID: String
    public let host: PluginHost
}

/// Helpers for building tool output.
public enum ToolOutput {
    /// JSON text of an Encodable value (keys sorted, so output is stable).
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
