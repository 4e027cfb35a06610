import AgentHostJSON
/// Builds a `POST /v1/chat/completions` body with `JSONWriter` (no dictionaries, no
/// JSONSerialization): this runs once per model round of every turn.
public enum ChatRequestBuilder {
    /// The static part for one agent (its tools never change): rendered once and spliced.
    public static func toolsJSON(_ tools: [ChatTool]) -> String {
        var writer = JSONWriter(capacity: 256 * max(tools.count, 1))
        writer.raw("[")
        for (index, tool) in tools.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"type\":\"function\",\"function\":{")
            writer.key("name", first: true)
            writer.string(tool.name)
            writer.key("description")
            writer.string(tool.description)
            writer.key("parameters")
            writer.raw(tool.parametersJSON.isEmpty ? "{\"type\":\"object\",\"properties\":{}}" : tool.parametersJSON)
            writer.raw("}}")
        }
        writer.raw("]")
        return writer.text
    }

    /// The request body. `toolsJSON` comes from `toolsJSON(_:)` ("[]" or empty: no tools).
    public static func body(model: String, messages: [ChatMessage], toolsJSON: String, stream: Bool,
                            temperature: Double?, maxTokens: Int? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024 + toolsJSON.utf8.count)
        writer.raw("{")
        writer.key("model", first: true)
        writer.string(model)
        writer.key("stream")
        writer.bool(stream)
        if let temperature {
            writer.key("temperature")
            writer.number(temperature)
        }
        if let maxTokens {
            writer.key("max_tokens")
            writer.number(Double(maxTokens))
        }
        writer.key("messages")
        writer.raw("[")
        for (index, message) in messages.enumerated() {
            if index > 0 { writer.raw(",") }
            write(message, to: &writer)
        }
        writer.raw("]")
        if !toolsJSON.isEmpty, toolsJSON != "[]" {
            writer.key("tools")
            writer.raw(toolsJSON)
            writer.key("tool_choice")
            writer.string("auto")
        }
        writer.raw("}")
        return writer.bytes
    }

    static func write(_ message: ChatMessage, to writer: inout JSONWriter) {
        writer.raw("{")
        switch message {
        case .system(let text), .user(let text):
            writer.key("role", first: true)
            writer.string(message.isSystem ? "system" : "user")
            writer.key("content")
            writer.string(text)
        case .assistant(let text, let calls):
            writer.key("role", first: true)
            writer.string("assistant")
            writer.key("content")
            if let text, !text.isEmpty { writer.string(text) } else { writer.raw("null") }
            if !calls.isEmpty {
                writer.key("tool_calls")
                writer.raw("[")
                for (index, call) in calls.enumerated() {
                    if index > 0 { writer.raw(",") }
                    writer.raw("{")
                    writer.key("id", first: true)
                    writer.string(call.id)
                    writer.key("type")
                    writer.string("function")
                    writer.key("function")
                    writer.raw("{")
                    writer.key("name", first: true)
                    writer.string(call.name)
                    writer.key("arguments")
                    writer.string(call.arguments)
                    writer.raw("}}")
                }
                writer.raw("]")
            }
        case .tool(let callID, let content):
            writer.key("role", first: true)
            writer.string("tool")
            writer.key("tool_call_id")
            writer.string(callID)
            writer.key("content")
            writer.string(content)
        }
        writer.raw("}")
    }
}

extension ChatMessage {
    var isSystem: Bool {
        if case .system = self { return true }
        return false
    }
}
