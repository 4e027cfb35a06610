import Foundation
import HostNet
import HostPlugins
import HostSupport
import PluginABI
import Synchronization

/// One turn: from the caller's input to `turn_end`, across as many agent steps as handoffs
/// need. Runs on the conversation's loop thread; only the limit counters are touched elsewhere.
final class TurnRun: @unchecked Sendable {
    // @unchecked: loop-confined except the atomic counters.
    let conversation: Conversation  // strong: completions may outlive the caller's reference; released with the turn
    let input: String
    private let toolCalls = Atomic<Int>(0)
    private let handoffs = Atomic<Int>(0)
    private var currentStep: StepRun?
    private var cancelled = false
    /// The model's time-to-first-token for its first request of the turn (ModelStep sets it).
    var modelFirstTokenMilliseconds: Double?
    /// The turn's span (TurnRun+Tracing.swift); nil when tracing is off. Loop thread.
    var span: TraceSpan?

    init(conversation: Conversation, input: String) {
        self.conversation = conversation
        self.input = input
    }

    var limits: TurnLimits { conversation.tenant.configuration.limits }

    /// [thread-safe] Counts a tool call against the turn's limit; false when used up.
    func reserveToolCall() -> Bool {
        toolCalls.wrappingAdd(1, ordering: .relaxed).newValue <= limits.maxToolCallsPerTurn
    }

    /// [thread-safe] Counts a handoff against the turn's limit; false when used up.
    func reserveHandoff() -> Bool {
        handoffs.wrappingAdd(1, ordering: .relaxed).newValue <= limits.maxHandoffsPerTurn
    }

    func step(agent: TenantRuntime.Agent, handedOffFrom: (TenantRuntime.Agent, String?)?) {
        conversation.loop.preconditionInLoop()
        let router = conversation.services.router
        let run = StepRun(stepID: router.makeID(), agent: agent, turn: self)
        currentStep = run
        startStepSpan(run, handedOffFrom: handedOffFrom)
        run.timeout = LoopTimer(loop: conversation.loop)
        armStepTimer(run)
        // The plugin or the tenant's model (Brains/): either acts through the same StepRun.
        let driver = conversation.tenant.makeStepDriver(run: run, input: input, handedOffFrom: handedOffFrom)
        run.driver = driver
        driver.start()
    }

    /// (Re)starts the step's deadline. A model-driven step that runs out of time falls back to
    /// the plugin (with a fresh deadline) instead of being abandoned.
    func armStepTimer(_ run: StepRun) {
        run.timeout?.start(after: limits.stepTimeoutMilliseconds) { [weak self, weak run] in
            guard let self, let run else { return }
            run.driver?.deadlinePassed(afterMilliseconds: self.limits.stepTimeoutMilliseconds)
        }
    }

    /// The agent plugin's own step logic (the offline brain) drives `run`.
    func startPluginStep(_ run: StepRun, handedOffFrom: (TenantRuntime.Agent, String?)?) {
        let agent = run.agent
        let context = conversation.contextJSON(for: agent, input: input, handedOffFrom: handedOffFrom)
        do {
            try agent.instance.step(stepID: run.stepID, sessionID: conversation.id, input: input, contextJSON: context, sink: run)
        } catch {
            tearDown(run, .refused)
            fail(agent: agent, code: "agent_refused_step", message: error.message)
        }
    }

    /// Runs a tool the agent called and feeds the result back into its open step.
    func runTool(_ name: String, argumentsJSON: String, callID: UInt64, for step: StepRun) {
        conversation.loop.preconditionInLoop()
        guard !step.closed, let tool = conversation.tenant.tools[name] else { return }
        let callLabel = "call_\(callID)"
        conversation.emit(.toolCall(agent: step.agent.name, tool: name, callID: callLabel, argumentsJSON: argumentsJSON))
        conversation.noteToolCall(name)
        let metrics = conversation.services.metrics
        let started = DispatchTime.now().uptimeNanoseconds
        let loop = conversation.loop
        // Holds the turn until the tool completes (exactly once, per the ABI).
        let deliver: @Sendable (ah_status_t, String) -> Void = { [self] status, output in
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            metrics.increment("agent_host_tool_calls_total", labels: ["tool": name, "ok": status == AH_OK ? "true" : "false"])
            metrics.observe("agent_host_tool_call_seconds", seconds, labels: ["tool": name])
            loop.execute {
                self.endToolSpan(callID: callID, of: step, status: status)
                step.lifecycle.toolCompleted(callID: callID)
                guard !self.cancelled else { return }
                self.conversation.emit(.toolResult(tool: name, callID: callLabel, ok: status == AH_OK, output: output))
                guard !step.closed else { return }
                step.driver?.toolResult(callID: callID, status: status, output: output)
            }
        }
        step.lifecycle.toolStarted(callID: callID, tool: tool)
        let toolSpan = startToolSpan(name, callID: callID, argumentsJSON: argumentsJSON, parent: step.span)
        step.toolSpans[callID] = toolSpan
        // The tool's own HTTP requests (the http extension) carry this span's traceparent.
        let refused = TraceSpan.withCurrent(toolSpan) { () -> (ah_status_t, String)? in
            do throws(PluginInstance.Failure) {
                try tool.invokeTool(callID: callID, sessionID: conversation.id, callerID: conversation.caller,
                                    argumentsJSON: argumentsJSON, completion: deliver)
                return nil
            } catch {
                return (error.status, error.message)
            }
        }
        if let (status, message) = refused { deliver(status, message) }
    }

    func stepFinished(_ step: StepRun, status: ah_status_t, message: String?) {
        conversation.loop.preconditionInLoop()
        guard !cancelled, tearDown(step, .finished) else { return }
        let outcome = step.outcome.withLock { $0 }
        if status != AH_OK {
            conversation.emit(.error(code: "agent_failed", message: "\(step.agent.name): \(message ?? "step failed with status \(status)")"))
            if !outcome.said { apologise(as: step.agent) }
        }
        if let escalation = outcome.escalation {
            escalate(from: step.agent, department: escalation.department, reason: escalation.reason)
        } else if let handoff = outcome.handoff, let target = conversation.tenant.agents[handoff.agentID] {
            conversation.emit(.handoff(from: step.agent.name, to: target.name, reason: handoff.reason))
            traceHandoff(from: step.agent, to: target, reason: handoff.reason)
            conversation.services.metrics.increment("agent_host_handoffs_total", labels: ["from": step.agent.name, "to": target.name])
            conversation.switchAgent(to: target)
            self.step(agent: target, handedOffFrom: (step.agent, handoff.reason))
        } else if outcome.endReason != nil {
            finishTurn(agent: step.agent)
            conversation.finish(reason: "agent_ended")
        } else {
            finishTurn(agent: step.agent)
        }
    }

    /// The isolated plugin running the step died: `error` plugin_crashed, an apology, `turn_end`.
    func stepCrashed(_ step: StepRun, message: String) {
        conversation.loop.preconditionInLoop()
        guard !cancelled, tearDown(step, .crashed) else { return }
        fail(agent: step.agent, code: "plugin_crashed", message: message)
    }

    /// An isolated agent refused the step after `step` had returned: as a refusal in-process.
    func stepRefused(_ step: StepRun, message: String) {
        conversation.loop.preconditionInLoop()
        guard !cancelled, tearDown(step, .refused) else { return }
        fail(agent: step.agent, code: "agent_refused_step", message: message)
    }

    /// Queues the caller for a human through the tenant's `escalate_to_human` tool, then ends
    /// the session with `escalated`. Without that tool the caller is told and the session goes on.
    private func escalate(from agent: TenantRuntime.Agent, department: String, reason: String?) {
        guard let tool = conversation.tenant.tools["escalate_to_human"] else {
            conversation.emit(.error(code: "escalation_unavailable", message: "tenant \(conversation.tenant.id) has no escalate_to_human tool enabled"))
            conversation.agentSaid(conversation.tenant.configuration.messages.noHumanAvailable, agent: agent)
            finishTurn(agent: agent)
            return
        }
        let callID = conversation.services.router.makeID()
        let callLabel = "call_\(callID)"
        var argumentsObject: [String: Any] = ["department": department]
        if let reason { argumentsObject["reason"] = reason }
        let arguments = String(decoding: (try? JSONSerialization.data(withJSONObject: argumentsObject, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
        // The backend's ticket also gets the handover (docs/telephony.md); the event shows the call as the agent made it.
        argumentsObject["summary"] = conversation.handoverSummary(department: department, reason: reason)
        argumentsObject["transcript"] = String(conversation.handoverTranscript().suffix(16_000))
        let invoked = String(decoding: (try? JSONSerialization.data(withJSONObject: argumentsObject, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
        conversation.emit(.toolCall(agent: agent.name, tool: "escalate_to_human", callID: callLabel, argumentsJSON: arguments))
        conversation.noteToolCall("escalate_to_human")
        let loop = conversation.loop
        // The step that asked has ended: the escalation's tool call hangs under the turn.
        let toolSpan = startToolSpan("escalate_to_human", callID: callID, argumentsJSON: invoked, parent: span)
        let completion: @Sendable (ah_status_t, String) -> Void = { [self] status, output in
            loop.execute {
                if status != AH_OK { toolSpan?.fail("tool status \(status)") }
                toolSpan?.end()
                guard !self.cancelled else { return }
                self.conversation.emit(.toolResult(tool: "escalate_to_human", callID: callLabel, ok: status == AH_OK, output: output))
                guard status == AH_OK else {
                    self.conversation.emit(.error(code: "escalation_failed", message: output))
                    self.conversation.agentSaid(self.conversation.tenant.configuration.messages.queueUnreachable, agent: agent)
                    self.finishTurn(agent: agent)
                    return
                }
                let ticket = (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: Any] ?? [:]
                let position = (ticket["position"] as? NSNumber)?.intValue ?? 0
                let wait = (ticket["wait_minutes"] as? NSNumber)?.intValue ?? 0
                let queued = ticket["department"] as? String ?? department
                self.conversation.emit(.escalated(agent: agent.name, department: queued, position: position, waitMinutes: wait))
                if self.conversation.transferToPerson(department: queued, reason: reason, agent: agent) {
                    self.finishTurn(agent: agent)
                    self.conversation.finish(reason: "transferred")
                    return
                }
                // The queue's own words when its tool gives them, else the tenant's.
                let announcement = (ticket["announcement"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? self.conversation.tenant.configuration.messages
                    .queued(position: position, department: queued, waitMinutes: wait)
                self.conversation.agentSaid(announcement, agent: agent)
                self.finishTurn(agent: agent)
                self.conversation.finish(reason: "escalated")
            }
        }
        let refused = TraceSpan.withCurrent(toolSpan) { () -> (ah_status_t, String)? in
            do throws(PluginInstance.Failure) {
                try tool.invokeTool(callID: callID, sessionID: conversation.id, callerID: conversation.caller, argumentsJSON: invoked, completion: completion)
                return nil
            } catch {
                return (error.status, error.message)
            }
        }
        if let (status, message) = refused { completion(status, message) }
    }

    /// The step ran out of time: the plugin is told to stop and its late actions are ignored.
    func abandon(_ step: StepRun, code: String, message: String) {
        guard !cancelled, tearDown(step, .timedOut) else { return }
        fail(agent: step.agent, code: code, message: message)
    }

    /// Ends a step, however it ends: its deadline always stops; a step the host gives up on
    /// (deadline, session ended, its plugin crashed) also has its driver, route, the plugin's
    /// step (unless its process is gone) and every tool call it still waits for cancelled, whose
    /// completions will not come back (a late one is dropped and logged by the host table). What
    /// each ending stops is decided by `StepLifecycle`. The one place a step is torn down; false
    /// when the step had already ended.
    @discardableResult
    private func tearDown(_ step: StepRun, _ ending: StepEnding) -> Bool {
        guard let teardown = step.lifecycle.end(ending) else { return false }
        endStepSpan(step, ending)
        step.timeout?.close()
        if teardown.cancelDriver { step.driver?.cancel() }
        let router = conversation.services.router
        if teardown.closeRoute { _ = router.closeStep(step.stepID) }
        if teardown.cancelAgentStep { step.agent.instance.cancelStep(step.stepID) }
        for (callID, tool) in teardown.cancelToolCalls {
            router.cancel(callID: callID)
            tool.cancelTool(callID: callID)
        }
        return true
    }

    func fail(agent: TenantRuntime.Agent, code: String, message: String) {
        conversation.emit(.error(code: code, message: message))
        conversation.services.metrics.increment("agent_host_errors_total", labels: ["kind": code])
        apologise(as: agent)
        finishTurn(agent: agent)
    }

    private func apologise(as agent: TenantRuntime.Agent) {
        conversation.agentSaid(conversation.tenant.configuration.messages.apology, agent: agent)
    }

    private func finishTurn(agent: TenantRuntime.Agent) {
        currentStep = nil
        let latency = modelFirstTokenMilliseconds.map { TurnLatency(modelFirstToken: $0) }
        conversation.emit(.turnEnd(agent: agent.name, latency: latency))
        endSpan(agent: agent, cancelled: false)
        conversation.turnFinished(self)
    }

    /// The session ended mid-turn: stop the open step; nothing more is emitted for this turn.
    func cancel() {
        conversation.loop.preconditionInLoop()
        cancelled = true
        defer { endSpan(agent: nil, cancelled: true) }
        guard let step = currentStep else { return }
        tearDown(step, .cancelled)
    }
}
