import PluginABI

/// A plugin component instantiated in a plugin runner process: the same interface as an
/// in-process `PluginInstance`, with every call sent over the runner's socket. The host table
/// the runner's requests are answered through lives here, host-side.
public final class IsolatedInstance: ComponentInstance, @unchecked Sendable {
    // @unchecked: immutable after creation; the runner does its own locking.
    public let descriptor: ComponentDescriptor
    public let tenantID: String
    let hostTable: HostTable
    let runner: RunnerProcess
    let slot: UInt32

    /// Creates `componentID` for `tenantID` in that tenant's runner for the plugin's file (started
    /// on first use), like `PluginInstance.create` does in-process.
    public static func create(_ componentID: String, from plugin: LoadedPlugin, tenantID: String, settingsJSON: String = "{}",
                              grantedExtensions: Set<String>? = nil, maxMemoryMB: Int = PluginIsolation.defaultMaxMemoryMB,
                              services: HostServices) throws(PluginInstance.Failure) -> IsolatedInstance {
        let runner = try services.runners.runner(tenant: tenantID, path: plugin.path, maxMemoryMB: maxMemoryMB, services: services)
        return try create(componentID, from: plugin, runner: runner, settingsJSON: settingsJSON,
                          grantedExtensions: grantedExtensions, services: services)
    }

    /// Creates `componentID` in `runner` (started on first use) with the tenant's settings.
    package static func create(_ componentID: String, from plugin: LoadedPlugin, runner: RunnerProcess, settingsJSON: String,
                       grantedExtensions: Set<String>?, services: HostServices) throws(PluginInstance.Failure) -> IsolatedInstance {
        typealias Failure = PluginInstance.Failure
        let tenantID = runner.tenantID
        guard let descriptor = plugin.components.first(where: { $0.id == componentID }) else {
            throw Failure(status: AH_ERR_NOT_FOUND, message: "\(plugin.path) does not provide \(componentID)")
        }
        let granted = grantedExtensions ?? services.providedExtensions
        let missing = descriptor.requiredExtensions.filter { !granted.contains($0) }
        guard missing.isEmpty else {
            throw Failure(status: AH_ERR_NOT_PERMITTED, message: "\(componentID) requires \(missing.joined(separator: ", ")), not granted to tenant \(tenantID)")
        }
        if let reason = runner.failedReason { throw Failure(status: AH_ERR_UNAVAILABLE, message: reason) }
        guard let slot = runner.claimSlot() else {
            throw Failure(status: AH_ERR_LIMIT_EXCEEDED, message: "\(componentID): the runner for \(runner.label) already holds 256 instances")
        }
        let context = InstanceContext(pluginID: componentID, tenantID: tenantID, services: services, granted: granted)
        let instance = IsolatedInstance(descriptor: descriptor, tenantID: tenantID, hostTable: HostTable(context: context), runner: runner, slot: slot)
        let frame = WireFrame(Wire.create, instance: slot, [componentID, settingsJSON] + context.grantedTables.keys.sorted())
        let (status, message) = runner.create(instance, frame: frame)
        guard status == AH_OK else {
            throw Failure(status: status, message: "\(componentID) for tenant \(tenantID) (isolated): \(message.isEmpty ? "create_plugin failed with status \(status)" : message)")
        }
        return instance
    }

    private init(descriptor: ComponentDescriptor, tenantID: String, hostTable: HostTable, runner: RunnerProcess, slot: UInt32) {
        self.descriptor = descriptor
        self.tenantID = tenantID
        self.hostTable = hostTable
        self.runner = runner
        self.slot = slot
    }

    deinit {
        runner.destroy(slot: slot)
    }

    private var router: CompletionRouter { hostTable.context.services.router }

    private func refuseIfFailed() throws(PluginInstance.Failure) {
        if let reason = runner.failedReason { throw PluginInstance.Failure(status: AH_ERR_UNAVAILABLE, message: reason) }
    }

    public func invokeTool(callID: UInt64, sessionID: String, callerID: String, argumentsJSON: String,
                           completion: @escaping ToolCompletion) throws(PluginInstance.Failure) {
        guard descriptor.kind == .tool else { throw PluginInstance.Failure(status: AH_ERR_UNSUPPORTED, message: "\(descriptor.id) is not a tool") }
        try refuseIfFailed()
        router.expectCompletion(of: callID, completion)
        runner.startCall(callID, WireFrame(Wire.invoke, instance: slot, id: callID, [sessionID, callerID, argumentsJSON]))
    }

    public func cancelTool(callID: UInt64) {
        runner.cancel(callID, isStep: false, WireFrame(type: Wire.toolCancel, instance: slot, id: callID))
    }

    public func step(stepID: UInt64, sessionID: String, input: String, contextJSON: String, sink: any StepSink) throws(PluginInstance.Failure) {
        guard descriptor.kind == .agent else { throw PluginInstance.Failure(status: AH_ERR_UNSUPPORTED, message: "\(descriptor.id) is not an agent") }
        try refuseIfFailed()
        router.openStep(stepID, sink: sink)
        runner.startStep(stepID, WireFrame(Wire.step, instance: slot, id: stepID, [sessionID, input, contextJSON]))
    }

    public func deliverToolResult(stepID: UInt64, callID: UInt64, status: ah_status_t, output: String) {
        // A result no frame can carry (from an in-process tool) reaches the agent as a failure
        // saying so, never as a frame the runner would reject (PluginRunner/wire.h).
        if output.utf8.count > Wire.maxPayload {
            let refused = "the tool's output (\(output.utf8.count) bytes) is larger than an isolated plugin's result may be (\(Wire.maxPayload) bytes)"
            return runner.send(WireFrame(Wire.toolResult, instance: slot, id: stepID, arg: callID, status: AH_ERR_LIMIT_EXCEEDED, [refused]))
        }
        runner.send(WireFrame(Wire.toolResult, instance: slot, id: stepID, arg: callID, status: status, [output]))
    }

    public func cancelStep(_ stepID: UInt64) {
        runner.cancel(stepID, isStep: true, WireFrame(type: Wire.stepCancel, instance: slot, id: stepID))
    }
}
