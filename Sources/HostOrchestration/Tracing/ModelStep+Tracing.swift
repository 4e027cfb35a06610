import HostModels
import HostSupport

/// `chat {model}` spans, one per request to the tenant's model (retries included), under the
/// step's `invoke_agent` span, with the GenAI semantic conventions' attributes; the request
/// carries the span's `traceparent` so a provider that traces joins the trace. Loop thread.
extension ModelStep {
    private var tracing: HostTracing { run.turn.conversation.tracing }

    func startChatSpan() {
        guard tracing.isEnabled else { return }
        let endpoint = brain.client.endpoint
        chatSpan = tracing.start("chat \(endpoint.model)", parent: run.span ?? run.turn.span, kind: .client) { attributes in
            attributes["gen_ai.operation.name"] = "chat"
            attributes["gen_ai.request.model"] = endpoint.model
            // The wire protocol spoken (the one provider kind, `openai-compatible`): the GenAI
            // conventions' value for OpenAI's API; where it goes is `server.address`.
            attributes["gen_ai.provider.name"] = "openai"
            attributes["gen_ai.system"] = "openai"
            let authority = endpoint.providerName.components(separatedBy: "://").last ?? ""
            attributes["server.address"] = authority.hasPrefix("[") ? authority : String(authority.split(separator: ":").first ?? "")
            attributes["gen_ai.agent.name"] = run.agent.name
        }
    }

    var chatPropagationHeaders: [(String, String)] {
        guard let chatSpan else { return [] }
        return tracing.propagationHeaders(for: chatSpan.context)
    }

    func endChatSpan(_ completion: ChatCompletion) {
        guard let span = chatSpan else { return }
        if let reason = completion.finishReason { span.set("gen_ai.response.finish_reasons", [reason]) }
        if let tokens = completion.inputTokens { span.set("gen_ai.usage.input_tokens", tokens) }
        if let tokens = completion.outputTokens { span.set("gen_ai.usage.output_tokens", tokens) }
        span.set("agent_host.chat.tool_calls", completion.toolCalls.count)
        span.end()
        chatSpan = nil
    }

    /// The request failed or was given up (nil: cancelled with the step).
    func endChatSpan(_ failure: ModelFailure?) {
        guard let span = chatSpan else { return }
        span.fail(failure.map { "\($0.reason.rawValue)" } ?? "cancelled")
        if let failure { span.set("error.type", failure.reason.rawValue) }
        span.end()
        chatSpan = nil
    }
}
