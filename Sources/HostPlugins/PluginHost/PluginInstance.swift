import HostNet
import HostSupport
import PluginABI

/// One plugin component instantiated for one tenant: the host's handle on an `ah_plugin_t`.
/// Destroyed (plugin `destroy`, then its host table freed) when the last reference goes.
public final class PluginInstance: @unchecked Sendable {
    // @unchecked: immutable after creation; the C interfaces are called per their thread tags.
    public let descriptor: ComponentDescriptor
    public let tenantID: String
    let plugin: UnsafePointer<ah_plugin_t>
    let hostTable: HostTable
    let tool: UnsafePointer<ah_tool_t>?
    let agent: UnsafePointer<ah_agent_t>?
    var services: HostServices { hostTable.context.services }

    /// What went wrong creating or calling an instance, in words for the operator or the agent.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let status: ah_status_t
        public let message: String
        public var description: String { message }
    }

    /// Creates `componentID` from `plugin` for `tenantID` with that tenant's settings (a JSON object).
    public static func create(_ componentID: String, from plugin: LoadedPlugin, tenantID: String,
                              settingsJSON: String = "{}", grantedExtensions: Set<String>? = nil,
                              services: HostServices) throws(Failure) -> PluginInstance {
        guard let descriptor = plugin.components.first(where: { $0.id == componentID })
        else { throw Failure(status: AH_ERR_NOT_FOUND, message: "\(plugin.path) does not provide \(componentID)") }
        guard let factory = plugin.factory else {
            throw Failure(status: AH_ERR_UNSUPPORTED, message: "\(componentID) for tenant \(tenantID): \(plugin.path) was built with Swift toolchain '\(plugin.toolchain)', not this host's '\(HostInfo.swiftToolchain)', so it cannot run in-process: set isolation: process for it (docs/operations.md, \"Isolated plugins\") or rebuild it with the host's toolchain")
        }
        let granted = grantedExtensions ?? services.providedExtensions
        let missing = descriptor.requiredExtensions.filter { !granted.contains($0) }
        guard missing.isEmpty else {
            throw Failure(status: AH_ERR_NOT_PERMITTED,
                          message: "\(componentID) requires \(missing.joined(separator: ", ")), not granted to tenant \(tenantID)")
        }
        let table = HostTable(context: InstanceContext(pluginID: componentID, tenantID: tenantID, services: services, granted: granted))
        var error = ah_error_t()
        var created: UnsafePointer<ah_plugin_t>?
        var settings = settingsJSON
        let status = during(services.loop, componentID, "create") {
            settings.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    factory.pointee.create_plugin(factory, table.pointer, componentID, chars.baseAddress, chars.count, &created, &error)
                }
            }
        }
        guard status == AH_OK, let created else {
            let reason = PluginLoader.message(&error, default: "create_plugin failed with status \(status)")
            throw Failure(status: status == AH_OK ? AH_ERR_INTERNAL : status, message: "\(componentID) for tenant \(tenantID): \(reason)")
        }
        guard let getInterface = created.pointee.get_interface, created.pointee.destroy != nil else {
            throw Failure(status: AH_ERR_INTERNAL, message: "\(componentID): instance lacks get_interface or destroy")
        }
        let interfaceID = descriptor.kind == .agent ? AH_AGENT_INTERFACE_ID : AH_TOOL_INTERFACE_ID
        let raw = getInterface(created, interfaceID)
        let instance = PluginInstance(descriptor: descriptor, tenantID: tenantID, plugin: created, hostTable: table,
                                      tool: descriptor.kind == .tool ? raw?.assumingMemoryBound(to: ah_tool_t.self) : nil,
                                      agent: descriptor.kind == .agent ? raw?.assumingMemoryBound(to: ah_agent_t.self) : nil)
        guard raw != nil else {
            throw Failure(status: AH_ERR_UNSUPPORTED, message: "\(componentID): instance does not provide \(interfaceID)")
        }
        return instance
    }

    private init(descriptor: ComponentDescriptor, tenantID: String, plugin: UnsafePointer<ah_plugin_t>,
                 hostTable: HostTable, tool: UnsafePointer<ah_tool_t>?, agent: UnsafePointer<ah_agent_t>?) {
        self.descriptor = descriptor
        self.tenantID = tenantID
        self.plugin = plugin
        self.hostTable = hostTable
        self.tool = tool
        self.agent = agent
    }

    deinit {
        let plugin = self.plugin
        call("destroy") { plugin.pointee.destroy(plugin) }
    }

    /// Runs `body` (a call into the plugin) labelled "<plugin id> <call>" for the loop's stall
    /// watchdog, so a plugin that blocks the loop is named in the log (docs/operations.md).
    @inline(__always)
    private func call<T>(_ name: String, _ body: () -> T) -> T {
        during(services.loop, descriptor.id, name, body)
    }

    // MARK: tools

    /// Starts a tool call. On success `completion` runs exactly once — possibly before this
    /// returns, on the thread the plugin completes from. On failure nothing runs.
    public func invokeTool(callID: UInt64, sessionID: String, callerID: String, argumentsJSON: String,
                           completion: @escaping ToolCompletion) throws(Failure) {
        guard let tool else { throw Failure(status: AH_ERR_UNSUPPORTED, message: "\(descriptor.id) is not a tool") }
        let router = services.router
        router.expectCompletion(of: callID, completion)
        var error = ah_error_t()
        var arguments = argumentsJSON
        let status = sessionID.withCString { session in
            callerID.withCString { caller in
                arguments.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        var call = ah_tool_call_t(
                            struct_size: UInt32(MemoryLayout<ah_tool_call_t>.size), call_id: callID,
                            session_id: session, caller_id: caller, arguments_json: chars.baseAddress, arguments_len: chars.count)
                        return self.call("invoke") { tool.pointee.invoke(plugin, &call, &error) }
                    }
                }
            }
        }
        guard status == AH_OK else {
            router.abandon(callID: callID)
            throw Failure(status: status, message: PluginLoader.message(&error, default: "\(descriptor.id) refused the call (status \(status))"))
        }
    }

    public func cancelTool(callID: UInt64) {
        guard let tool else { return }
        call("cancel") { tool.pointee.cancel(plugin, callID) }
    }

    // MARK: agents

    /// Starts a step; the plugin's actions and its step_done go to `sink`.
    public func step(stepID: UInt64, sessionID: String, input: String, contextJSON: String, sink: any StepSink) throws(Failure) {
        guard let agent else { throw Failure(status: AH_ERR_UNSUPPORTED, message: "\(descriptor.id) is not an agent") }
        let router = services.router
        router.openStep(stepID, sink: sink)
        var error = ah_error_t()
        var input = input
        var context = contextJSON
        let status = sessionID.withCString { session in
            input.withUTF8 { inputBytes in
                context.withUTF8 { contextBytes in
                    inputBytes.withMemoryRebound(to: CChar.self) { i in
                        contextBytes.withMemoryRebound(to: CChar.self) { c in
                            var step = ah_agent_step_t(
                                struct_size: UInt32(MemoryLayout<ah_agent_step_t>.size), step_id: stepID, session_id: session,
                                input: i.baseAddress, input_len: i.count, context_json: c.baseAddress, context_len: c.count)
                            return call("step") { agent.pointee.step(plugin, &step, &error) }
                        }
                    }
                }
            }
        }
        guard status == AH_OK else {
            _ = router.closeStep(stepID)
            throw Failure(status: status, message: PluginLoader.message(&error, default: "\(descriptor.id) refused the step (status \(status))"))
        }
    }

    public func deliverToolResult(stepID: UInt64, callID: UInt64, status: ah_status_t, output: String) {
        var output = output
        guard let agent else { return }
        output.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                call("on_tool_result") { agent.pointee.on_tool_result(plugin, stepID, callID, status, chars.baseAddress, chars.count) }
            }
        }
    }

    public func cancelStep(_ stepID: UInt64) {
        guard let agent else { return }
        call("cancel") { agent.pointee.cancel(plugin, stepID) }
    }
}

/// `body` as the activity "<plugin id> <call>" on `loop` (only when run on that loop's thread).
@inline(__always)
private func during<T>(_ loop: EventLoop?, _ pluginID: String, _ call: String, _ body: () -> T) -> T {
    guard let loop else { return body() }
    return loop.during(LoopActivity(pluginID, call), body)
}
