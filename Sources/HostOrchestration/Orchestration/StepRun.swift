import HostNet
import HostPlugins
import HostSupport
import PluginABI
import Synchronization

/// The host's side of one agent step: receives the plugin's actions (from any thread), checks
/// them against the tenant and the turn's limits, and hands them to the turn on the loop thread.
final class StepRun: StepSink, @unchecked Sendable {
    // @unchecked: `outcome` is behind a Mutex; `turn` is only used inside loop.execute blocks.
    struct Outcome: Sendable {
        var handoff: (agentID: String, reason: String?)?
        var escalation: (department: String, reason: String?)?
        var endReason: String??
        var said = false
    }

    let stepID: UInt64
    let agent: TenantRuntime.Agent
    let turn: TurnRun  // strong: late actions may arrive after the turn ended; the cycle breaks when the turn clears currentStep
    let outcome = Mutex(Outcome())
    /// Loop-thread only: running, waiting for tools, or how it ended (StepLifecycle.swift).
    var lifecycle = StepLifecycle<any ComponentInstance>()
    /// Loop-thread only: the step ended (finished, refused, timed out, crashed or cancelled).
    var closed: Bool { !lifecycle.isOpen }
    var timeout: LoopTimer?
    /// Loop-thread only: who drives this step, the plugin or the tenant's model (StepDriver.swift).
    var driver: (any StepDriver)?
    /// Loop-thread only: the step's `invoke_agent` span and its tool calls' spans (TurnRun+Tracing.swift).
    var span: TraceSpan?
    var toolSpans: [UInt64: TraceSpan] = [:]

    init(stepID: UInt64, agent: TenantRuntime.Agent, turn: TurnRun) {
        self.stepID = stepID
        self.agent = agent
        self.turn = turn
    }

    private var loop: EventLoop { turn.conversation.loop }

    func say(_ text: String) -> ah_status_t {
        guard !text.isEmpty else { return AH_ERR_INVALID_ARGUMENT }
        outcome.withLock { $0.said = true }
        loop.execute { [self] in
            guard !closed else { return }
            turn.conversation.agentSaid(text, agent: agent)
        }
        return AH_OK
    }

    func callTool(_ name: String, argumentsJSON: String) -> (ah_status_t, UInt64) {
        guard agent.allowedTools.contains(name), turn.conversation.tenant.tools[name] != nil else {
            return (AH_ERR_NOT_PERMITTED, 0)
        }
        guard JSONText.isValid(argumentsJSON, object: true) else { return (AH_ERR_INVALID_ARGUMENT, 0) }
        guard turn.reserveToolCall() else { return (AH_ERR_LIMIT_EXCEEDED, 0) }
        let callID = turn.conversation.services.router.makeID()
        loop.execute { [self] in turn.runTool(name, argumentsJSON: argumentsJSON, callID: callID, for: self) }
        return (AH_OK, callID)
    }

    func handoff(to agentID: String, reason: String?) -> ah_status_t {
        guard agentID != agent.id, turn.conversation.tenant.agents[agentID] != nil else { return AH_ERR_NOT_FOUND }
        guard turn.reserveHandoff() else { return AH_ERR_LIMIT_EXCEEDED }
        outcome.withLock { $0.handoff = (agentID, reason) }
        return AH_OK
    }

    func escalate(department: String, reason: String?) -> ah_status_t {
        outcome.withLock { $0.escalation = (department, reason) }
        return AH_OK
    }

    func endSession(reason: String?) -> ah_status_t {
        outcome.withLock { $0.endReason = .some(reason) }
        return AH_OK
    }

    func setState(_ json: String) -> ah_status_t {
        // The state goes back verbatim into the next context: it must be JSON.
        guard JSONText.isValid(json) else { return AH_ERR_INVALID_ARGUMENT }
        loop.execute { [self] in
            guard !closed else { return }
            turn.conversation.agentStates[agent.id] = json
        }
        return AH_OK
    }

    func stepDone(status: ah_status_t, message: String?) {
        loop.execute { [self] in turn.stepFinished(self, status: status, message: message) }
    }

    func crashed(message: String) {
        loop.execute { [self] in turn.stepCrashed(self, message: message) }
    }

    func refused(status: ah_status_t, message: String) {
        loop.execute { [self] in turn.stepRefused(self, message: message) }
    }
}
