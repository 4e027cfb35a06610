import AgentHostJSON
/// Turns the `data:` payloads of a streamed completion into text deltas and, at the end, the
/// whole completion. Tool calls arrive as fragments keyed by `index`: the first fragment of a
/// call carries `id` and `function.name`, later ones only pieces of `function.arguments`.
public struct ChatStreamDecoder: Sendable {
    public enum Step: Sendable, Equatable {
        /// More content for the caller.
        case text(String)
        /// Nothing to pass on (role-only chunk, tool-call fragment, usage).
        case none
        /// `[DONE]`: the completion is complete.
        case done
    }

    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public private(set) var completion = ChatCompletion()
    private var calls: [Int: ChatToolCall] = [:]
    public private(set) var sawDone = false

    public init() {}

    /// Puts the accumulated tool calls into `completion`, in index order. Runs at `[DONE]`, and
    /// for servers that end the stream after a `finish_reason` without `[DONE]`.
    public mutating func finishToolCalls() {
        completion.toolCalls = calls.keys.sorted().compactMap { calls[$0] }
    }

    /// Decodes one event's data.
    public mutating func decode(_ data: String) throws(Malformed) -> Step {
        if data == "[DONE]" {
            sawDone = true
            finishToolCalls()
            return .done
        }
        let chunk: JSONValue
        do {
            chunk = try JSONValue.parse(data)
        } catch {
            throw Malformed(description: "a stream chunk is not JSON (\(error))")
        }
        if let error = chunk["error"], !error.isNull {
            throw Malformed(description: "the stream carried an error: \(error["message"]?.string ?? "no message")")
        }
        if let usage = chunk["usage"], !usage.isNull {
            completion.inputTokens = usage["prompt_tokens"]?.int
            completion.outputTokens = usage["completion_tokens"]?.int
        }
        guard let choices = chunk["choices"]?.array else {
            throw Malformed(description: "a stream chunk has no choices array")
        }
        guard let choice = choices.first else { return .none }   // e.g. a final usage-only chunk
        if let reason = choice["finish_reason"]?.string { completion.finishReason = reason }
        guard let delta = choice["delta"] else { return .none }
        if let fragments = delta["tool_calls"]?.array {
            for fragment in fragments {
                guard let index = fragment["index"]?.int else { throw Malformed(description: "a tool-call fragment has no index") }
                var call = calls[index] ?? ChatToolCall(id: "", name: "", arguments: "")
                if let id = fragment["id"]?.string, !id.isEmpty { call.id = id }
                if let function = fragment["function"] {
                    if let name = function["name"]?.string { call.name += name }
                    if let arguments = function["arguments"]?.string { call.arguments += arguments }
                }
                calls[index] = call
            }
        }
        if let content = delta["content"]?.string, !content.isEmpty {
            completion.text += content
            return .text(content)
        }
        return .none
    }
}
