import HostSupport

/// The session's spans (docs/operations.md, "Telemetry"): `session` is the root of its trace;
/// each turn (`turn`), agent step (`invoke_agent {agent}`), tool call (`execute_tool {tool}`),
/// model request (`chat {model}`) and handoff (`handoff`) hangs below it. Attribute names follow
/// OpenTelemetry's GenAI semantic conventions where they have one (`gen_ai.*`), else
/// `agent_host.*`. Caller text (inputs, tool arguments, the caller's id) only goes in when the
/// tenant says `telemetry: {include_content: true}`, and then through its `redact:` rules.
/// Loop thread, like everything else of the session.
extension Conversation {
    package var tracing: HostTracing { services.tracing }

    /// What a stage outside the orchestration (speech) hangs under: the open turn, else the session.
    package var currentTraceSpan: TraceSpan? {
        currentTurn?.span ?? (tracing.isEnabled ? externalTrace.turn : nil) ?? sessionSpan
    }

    /// The tenant's words, as they may appear in a span: nil unless the tenant opted in.
    func traceContent(_ text: String) -> String? {
        guard tenant.configuration.telemetry.includeContent else { return nil }
        return tenant.configuration.telephony.redaction.apply(text)
    }

    /// `continuing`: the `traceparent` of the session span of the host this conversation was
    /// resumed from (a chat checkpoint's): this host's `session` span joins that trace as its child.
    func startSessionSpan(continuing traceparent: String? = nil) {
        guard tracing.isEnabled, sessionSpan == nil else { return }
        sessionSpan = tracing.start("session", remoteParent: traceparent, kind: .server) { attributes in
            attributes["gen_ai.conversation.id"] = id
            attributes["agent_host.tenant"] = tenant.id
            attributes["agent_host.session.returning"] = returning
            if traceparent != nil { attributes["agent_host.session.resumed"] = true }
            if let caller = traceContent(caller) { attributes["agent_host.caller.id"] = caller }
        }
    }

    func endSessionSpan(reason: String) {
        guard let span = sessionSpan else { return }
        span.set("agent_host.session.end_reason", reason)
        span.set("agent_host.session.turns", turnNumber)
        span.end()
        sessionSpan = nil
    }
}
