import HostSupport
import PluginABI

/// The turn's spans: `turn` under the session, `invoke_agent {agent}` per step under the turn,
/// `execute_tool {tool}` under the step that called it, `handoff` under the turn (see
/// Conversation+Tracing.swift for what may go into attributes). Loop thread.
extension TurnRun {
    private var tracing: HostTracing { conversation.tracing }

    func startSpan() {
        guard tracing.isEnabled else { return }
        span = tracing.start("turn", parent: conversation.sessionSpan) { attributes in
            attributes["gen_ai.conversation.id"] = conversation.id
            attributes["agent_host.turn.number"] = conversation.turnNumber
            if let input = conversation.traceContent(input) { attributes["agent_host.turn.input"] = input }
        }
    }

    /// `agent` answered last (nil: the session ended mid-turn).
    func endSpan(agent: TenantRuntime.Agent?, cancelled: Bool) {
        guard let span else { return }
        if let agent { span.set("agent_host.turn.agent", agent.name) }
        if cancelled { span.set("agent_host.turn.cancelled", true) }
        span.end()
        self.span = nil
    }

    func startStepSpan(_ run: StepRun, handedOffFrom: (TenantRuntime.Agent, String?)?) {
        guard tracing.isEnabled else { return }
        let agent = run.agent
        run.span = tracing.start("invoke_agent \(agent.name)", parent: span) { attributes in
            attributes["gen_ai.operation.name"] = "invoke_agent"
            attributes["gen_ai.agent.name"] = agent.name
            attributes["gen_ai.agent.id"] = agent.id
            attributes["gen_ai.conversation.id"] = conversation.id
            attributes["agent_host.step.id"] = Int(truncatingIfNeeded: run.stepID)
            if let (from, _) = handedOffFrom { attributes["agent_host.handed_off_from"] = from.name }
        }
    }

    func endStepSpan(_ run: StepRun, _ ending: StepEnding) {
        for (_, toolSpan) in run.toolSpans {
            toolSpan.fail("cancelled: the step ended first")
            toolSpan.end()
        }
        run.toolSpans.removeAll()
        guard let span = run.span else { return }
        if ending != .finished { span.fail("step \(ending)") }
        span.end()
        run.span = nil
    }

    func startToolSpan(_ name: String, callID: UInt64, argumentsJSON: String, parent: TraceSpan?) -> TraceSpan? {
        guard tracing.isEnabled else { return nil }
        return tracing.start("execute_tool \(name)", parent: parent ?? span) { attributes in
            attributes["gen_ai.operation.name"] = "execute_tool"
            attributes["gen_ai.tool.name"] = name
            attributes["gen_ai.tool.type"] = "function"
            attributes["gen_ai.tool.call.id"] = "call_\(callID)"
            if let arguments = conversation.traceContent(argumentsJSON) { attributes["gen_ai.tool.call.arguments"] = arguments }
        }
    }

    func endToolSpan(callID: UInt64, of run: StepRun, status: ah_status_t) {
        guard let toolSpan = run.toolSpans.removeValue(forKey: callID) else { return }
        if status != AH_OK { toolSpan.fail("tool status \(status)") }
        toolSpan.end()
    }

    func traceHandoff(from: TenantRuntime.Agent, to: TenantRuntime.Agent, reason: String?) {
        guard tracing.isEnabled else { return }
        tracing.start("handoff", parent: span) { attributes in
            attributes["agent_host.handoff.from"] = from.name
            attributes["agent_host.handoff.to"] = to.name
            if let reason, let shown = conversation.traceContent(reason) { attributes["agent_host.handoff.reason"] = shown }
        }?.end()
    }
}
