import HostSupport

/// Spans for turns the host does not run itself: a Realtime-mode call's model takes the turns and
/// the host only records their events (`record(external:)`). From those events it builds the same
/// tree a cascaded turn has — `turn` under the session, `invoke_agent {agent}` under the turn (a
/// new one after each handoff), `execute_tool {tool}` under the step that called it, `handoff`
/// under the turn — so an operator reads both modes' traces alike.
///
/// A turn opens when the caller stops speaking (`speech_stopped`) and closes at `turn_end`. The
/// caller's transcript is asynchronous to the model's response — it may arrive after the tool
/// calls, even after `turn_end` — so it only annotates the open turn; it opens one itself only on
/// a call whose service reports no speech events. A tool call with no turn open opens one. No
/// `chat` span: the model's work happens inside one long-lived Realtime session, not per request.
/// Loop thread.
package final class ExternalTurnTrace {
    var turn: TraceSpan?
    var step: TraceSpan?
    var tools: [String: TraceSpan] = [:]
    /// The service reports when the caller stops speaking (turns open there, not at transcripts).
    var speechEvents = false

    /// Ends whatever is open (a turn cut short by the next one or by the session's end).
    func close(reason: String?) {
        for (_, span) in tools {
            span.fail("no result: \(reason ?? "the turn ended first")")
            span.end()
        }
        tools.removeAll()
        step?.end()
        step = nil
        if let reason { turn?.set("agent_host.turn.cancelled", true); turn?.fail(reason) }
        turn?.end()
        turn = nil
    }
}

extension Conversation {
    /// Traces one event of an externally run turn (see ExternalTurnTrace). Loop thread.
    func traceExternal(_ event: ConversationEvent) {
        guard tracing.isEnabled else { return }
        let trace = externalTrace
        switch event {
        case .speechStopped:
            trace.speechEvents = true
            if trace.turn != nil { trace.close(reason: "the caller spoke again before the turn ended") }
            openExternalTurn(trace)
        case .user(let text, true):
            if trace.turn == nil {
                // A late transcript of a turn already ended: nothing to open.
                guard !trace.speechEvents else { return }
                openExternalTurn(trace)
            }
            trace.turn?.set("agent_host.turn.number", turnNumber)
            if let input = traceContent(text) { trace.turn?.set("agent_host.turn.input", input) }
        case .handoff(let from, let to, let reason):
            if trace.turn == nil { openExternalTurn(trace) }
            guard let turn = trace.turn else { return }
            tracing.start("handoff", parent: turn) { attributes in
                attributes["agent_host.handoff.from"] = from
                attributes["agent_host.handoff.to"] = to
                if let reason, let shown = traceContent(reason) { attributes["agent_host.handoff.reason"] = shown }
            }?.end()
            trace.step?.end()
            let target = tenant.agents.values.first { $0.name == to } ?? currentAgent
            trace.step = startExternalStep(agent: target, under: turn, handedOffFrom: from)
        case .toolCall(_, let tool, let callID, let argumentsJSON):
            if trace.turn == nil { openExternalTurn(trace) }
            guard let parent = trace.step ?? trace.turn else { return }
            trace.tools[callID] = tracing.start("execute_tool \(tool)", parent: parent) { attributes in
                attributes["gen_ai.operation.name"] = "execute_tool"
                attributes["gen_ai.tool.name"] = tool
                attributes["gen_ai.tool.type"] = "function"
                attributes["gen_ai.tool.call.id"] = callID
                if let arguments = traceContent(argumentsJSON) { attributes["gen_ai.tool.call.arguments"] = arguments }
            }
        case .toolResult(_, let callID, let ok, _):
            guard let span = trace.tools.removeValue(forKey: callID) else { return }
            if !ok { span.fail("the tool failed") }
            span.end()
        case .turnEnd(let agent, _):
            trace.turn?.set("agent_host.turn.agent", agent)
            trace.close(reason: nil)
        default:
            break
        }
    }

    private func openExternalTurn(_ trace: ExternalTurnTrace) {
        trace.turn = tracing.start("turn", parent: sessionSpan) { attributes in
            attributes["gen_ai.conversation.id"] = id
            attributes["agent_host.turn.driver"] = "realtime"
        }
        trace.step = startExternalStep(agent: currentAgent, under: trace.turn, handedOffFrom: nil)
    }

    private func startExternalStep(agent: TenantRuntime.Agent, under turn: TraceSpan?, handedOffFrom: String?) -> TraceSpan? {
        tracing.start("invoke_agent \(agent.name)", parent: turn) { attributes in
            attributes["gen_ai.operation.name"] = "invoke_agent"
            attributes["gen_ai.agent.name"] = agent.name
            attributes["gen_ai.agent.id"] = agent.id
            attributes["gen_ai.conversation.id"] = id
            if let handedOffFrom { attributes["agent_host.handed_off_from"] = handedOffFrom }
        }
    }
}
