import PluginABI

/// What the orchestration (TurnRun, StepRun, TenantRuntime, ModelBrain) needs from one plugin
/// component for one tenant, whether it runs inside the host (`PluginInstance`) or in a plugin
/// runner process (`IsolatedInstance`, docs/abi.md "Isolated plugins").
public protocol ComponentInstance: AnyObject, Sendable {
    var descriptor: ComponentDescriptor { get }
    var tenantID: String { get }
    /// Starts a tool call; `completion` runs exactly once unless this throws.
    func invokeTool(callID: UInt64, sessionID: String, callerID: String, argumentsJSON: String,
                    completion: @escaping ToolCompletion) throws(PluginInstance.Failure)
    func cancelTool(callID: UInt64)
    /// Starts a step; the plugin's actions and its step_done go to `sink`, unless this throws.
    func step(stepID: UInt64, sessionID: String, input: String, contextJSON: String, sink: any StepSink) throws(PluginInstance.Failure)
    func deliverToolResult(stepID: UInt64, callID: UInt64, status: ah_status_t, output: String)
    func cancelStep(_ stepID: UInt64)
}

extension PluginInstance: ComponentInstance {}
