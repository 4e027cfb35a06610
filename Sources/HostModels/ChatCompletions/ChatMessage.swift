/// One message of a Chat Completions conversation, as the host sends it.
public enum ChatMessage: Sendable, Equatable {
    case system(String)
    case user(String)
    /// What the model said and/or the tools it called in one round.
    case assistant(text: String?, toolCalls: [ChatToolCall])
    /// A tool's output, answering the call with `callID`.
    case tool(callID: String, content: String)
}

/// A function the model called: `arguments` is the JSON text the model produced.
public struct ChatToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A function offered to the model: `parametersJSON` is a JSON Schema object, spliced as is
/// (the plugin loader already checked it is one).
public struct ChatTool: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parametersJSON: String

    public init(name: String, description: String, parametersJSON: String) {
        self.name = name
        self.description = description
        self.parametersJSON = parametersJSON
    }
}

/// What one streamed (or whole) completion amounted to.
public struct ChatCompletion: Sendable, Equatable {
    public var text: String
    public var toolCalls: [ChatToolCall]
    /// "stop", "tool_calls", "length", "content_filter"; nil when the stream did not say.
    public var finishReason: String?
    /// `usage.prompt_tokens` / `usage.completion_tokens` when the provider sent them.
    public var inputTokens: Int?
    public var outputTokens: Int?

    public init(text: String = "", toolCalls: [ChatToolCall] = [], finishReason: String? = nil) {
        self.text = text
        self.toolCalls = toolCalls
        self.finishReason = finishReason
    }
}
