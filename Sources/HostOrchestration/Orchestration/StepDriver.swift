import PluginABI

/// Who drives an agent step: the agent plugin's own logic (`PluginStepDriver`) or the tenant's
/// model (`ModelStep`, Brains/). `TurnRun` talks to whichever drives the step through this one
/// door and never asks which kind it is. Loop-confined (the conversation's loop).
protocol StepDriver: AnyObject {
    func start()
    /// The step's deadline passed while this driver had it.
    func deadlinePassed(afterMilliseconds milliseconds: UInt64)
    /// A tool the driver called finished (TurnRun.runTool already emitted `tool_result`).
    func toolResult(callID: UInt64, status: ah_status_t, output: String)
    /// The host gives up on the step (`TurnRun.tearDown`, the one teardown, calls this).
    func cancel()
}

/// The agent plugin's own step logic (the offline brain) drives the step.
final class PluginStepDriver: StepDriver {
    private unowned let run: StepRun
    private let handedOffFrom: (TenantRuntime.Agent, String?)?

    init(run: StepRun, handedOffFrom: (TenantRuntime.Agent, String?)?) {
        self.run = run
        self.handedOffFrom = handedOffFrom
    }

    func start() { run.turn.startPluginStep(run, handedOffFrom: handedOffFrom) }

    func deadlinePassed(afterMilliseconds milliseconds: UInt64) {
        run.turn.abandon(run, code: "agent_timeout", message: "\(run.agent.name) did not finish its step within \(milliseconds) ms")
    }

    func toolResult(callID: UInt64, status: ah_status_t, output: String) {
        run.agent.instance.deliverToolResult(stepID: run.stepID, callID: callID, status: status, output: output)
    }

    /// Nothing of its own to stop: the teardown cancels the plugin's step itself.
    func cancel() {}
}

extension TenantRuntime {
    /// The driver for a new step: the tenant's model when it has one and there is input to
    /// answer (Brains/), else the agent plugin.
    func makeStepDriver(run: StepRun, input: String, handedOffFrom: (TenantRuntime.Agent, String?)?) -> any StepDriver {
        if let brain, !input.isEmpty { return ModelStep(brain: brain, run: run, handedOffFrom: handedOffFrom) }
        return PluginStepDriver(run: run, handedOffFrom: handedOffFrom)
    }
}
