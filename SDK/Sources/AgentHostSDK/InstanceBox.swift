import Foundation
import PluginABI
import Synchronization

/// The Swift object behind one `ah_plugin_t` instance. Subclasses implement the interface of
/// their kind; the C callbacks below find the box through `plugin_data`.
class InstanceBox: @unchecked Sendable {
    // @unchecked: subclasses keep mutable state behind Mutex only.
    let host: PluginHost

    init(host: PluginHost) {
        self.host = host
    }

    static func make(_ type: any PluginComponent.Type, host: PluginHost, settings: PluginSettings) throws -> InstanceBox {
        if let agent = type as? any Agent.Type { return try makeAgentBox(agent, host: host, settings: settings) }
        if let tool = type as? any Tool.Type { return try makeToolBox(tool, host: host, settings: settings) }
        throw PluginError.invalidArgument("\(type.id) is neither an Agent nor a Tool")
    }

    private static func makeAgentBox<A: Agent>(_ type: A.Type, host: PluginHost, settings: PluginSettings) throws -> InstanceBox {
        AgentBox(agent: try A(host: host, settings: settings), host: host)
    }

    private static func makeToolBox<T: Tool>(_ type: T.Type, host: PluginHost, settings: PluginSettings) throws -> InstanceBox {
        ToolBox(tool: try T(host: host, settings: settings), host: host)
    }

    var interfaceID: String { "" }
    var interfacePointer: UnsafeRawPointer? { nil }

    func invoke(_ call: UnsafePointer<ah_tool_call_t>, _ error: UnsafeMutablePointer<ah_error_t>?) -> ah_status_t {
        ABIText.write("not a tool", to: error)
        return AH_ERR_UNSUPPORTED
    }
    func cancelCall(_ callID: UInt64) {}
    func step(_ step: UnsafePointer<ah_agent_step_t>, _ error: UnsafeMutablePointer<ah_error_t>?) -> ah_status_t {
        ABIText.write("not an agent", to: error)
        return AH_ERR_UNSUPPORTED
    }
    func toolResult(step: UInt64, call: UInt64, status: ah_status_t, output: String) {}
    func cancelStep(_ stepID: UInt64) {}

    /// Allocates the C instance; `destroy` releases both it and this box.
    func makeCInstance(descriptor: UnsafePointer<ah_plugin_descriptor_t>) -> UnsafeMutablePointer<ah_plugin_t> {
        let instance = UnsafeMutablePointer<ah_plugin_t>.allocate(capacity: 1)
        instance.initialize(to: ah_plugin_t(
            struct_size: UInt32(MemoryLayout<ah_plugin_t>.size),
            descriptor: descriptor,
            plugin_data: Unmanaged.passRetained(self).toOpaque(),
            destroy: { plugin in
                guard let plugin else { return }
                if let data = plugin.pointee.plugin_data { Unmanaged<InstanceBox>.fromOpaque(data).release() }
                UnsafeMutablePointer(mutating: plugin).deinitialize(count: 1).deallocate()
            },
            get_interface: { plugin, id in
                guard let box = InstanceBox.from(plugin), let id else { return nil }
                return String(cString: id) == box.interfaceID ? box.interfacePointer : nil
            }))
        return instance
    }

    @inline(__always)
    static func from(_ plugin: UnsafePointer<ah_plugin_t>?) -> InstanceBox? {
        guard let data = plugin?.pointee.plugin_data else { return nil }
        return Unmanaged<InstanceBox>.fromOpaque(data).takeUnretainedValue()
    }
}

// MARK: - tools

/// Static for the image's lifetime and never written after initialisation.
nonisolated(unsafe) private let toolInterface: UnsafeMutablePointer<ah_tool_t> = {
    let table = UnsafeMutablePointer<ah_tool_t>.allocate(capacity: 1)
    table.initialize(to: ah_tool_t(
        struct_size: UInt32(MemoryLayout<ah_tool_t>.size),
        invoke: { plugin, call, error in
            guard let box = InstanceBox.from(plugin), let call else {
                ABIText.write("invoke: plugin and call are required", to: error)
                return AH_ERR_INVALID_ARGUMENT
            }
            return box.invoke(call, error)
        },
        cancel: { plugin, callID in InstanceBox.from(plugin)?.cancelCall(callID) }))
    return table
}()

final class ToolBox<T: Tool>: InstanceBox, @unchecked Sendable {
    let tool: T
    /// Set when T is a SynchronousTool: runs inline with no task hop.
    let inline: ((T.Arguments, ToolCallContext) throws -> String)?
    let running = Mutex<[UInt64: TaskHandle]>([:])
    let decoder = JSONDecoder()

    init(tool: T, host: PluginHost) {
        self.tool = tool
        self.inline = ToolBox.inlineBody(of: tool)
        super.init(host: host)
    }

    private static func inlineBody(of tool: T) -> ((T.Arguments, ToolCallContext) throws -> String)? {
        guard let synchronous = tool as? any SynchronousTool else { return nil }
        return open(synchronous)
    }

    private static func open<S: SynchronousTool>(_ tool: S) -> ((T.Arguments, ToolCallContext) throws -> String)? {
        let body: (S.Arguments, ToolCallContext) throws -> String = { try tool.callSynchronously($0, context: $1) }
        return body as? (T.Arguments, ToolCallContext) throws -> String
    }

    override var interfaceID: String { AH_TOOL_INTERFACE_ID }
    override var interfacePointer: UnsafeRawPointer? { UnsafeRawPointer(toolInterface) }

    override func invoke(_ callPointer: UnsafePointer<ah_tool_call_t>, _ errorOut: UnsafeMutablePointer<ah_error_t>?) -> ah_status_t {
        let call = callPointer.pointee
        let arguments: T.Arguments
        do {
            arguments = try decodeArguments(call.arguments_json, call.arguments_len)
        } catch {
            let (_, message) = PluginError.statusAndMessage(for: error)
            ABIText.write("\(T.name): invalid arguments: \(message)", to: errorOut)
            return AH_ERR_INVALID_ARGUMENT
        }
        let context = ToolCallContext(
            callID: call.call_id,
            sessionID: ABIText.optional(call.session_id) ?? "",
            callerID: ABIText.optional(call.caller_id) ?? "",
            host: host)
        if let inline {
            do {
                complete(call.call_id, AH_OK, try inline(arguments, context))
            } catch {
                let (status, message) = PluginError.statusAndMessage(for: error)
                complete(call.call_id, status, message)
            }
            return AH_OK
        }
        let callID = call.call_id
        // Register before starting: with the inline executor the task may run to completion
        // inside Task.init, and it removes its own entry when done.
        let handle = TaskHandle()
        running.withLock { $0[callID] = handle }
        handle.set(Task(executorPreference: InlineExecutor.shared) { [tool, weak self] in
            let outcome: (ah_status_t, String)
            do {
                outcome = (AH_OK, try await tool.call(arguments, context: context))
            } catch {
                outcome = PluginError.statusAndMessage(for: error)
            }
            guard let self else { return }
            self.running.withLock { _ = $0.removeValue(forKey: callID) }
            self.complete(callID, outcome.0, outcome.1)
        })
        return AH_OK
    }

    override func cancelCall(_ callID: UInt64) {
        running.withLock { $0[callID] }?.cancel()
    }

    private func decodeArguments(_ pointer: UnsafePointer<CChar>?, _ length: Int) throws -> T.Arguments {
        if T.Arguments.self == RawJSONArguments.self,
           let raw = RawJSONArguments(json: ABIText.string(pointer, length)) as? T.Arguments {
            return raw
        }
        guard let pointer, length > 0 else {
            return try decoder.decode(T.Arguments.self, from: Data("{}".utf8))
        }
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: pointer), count: length, deallocator: .none)
        return try decoder.decode(T.Arguments.self, from: data)
    }

    @inline(__always)
    private func complete(_ callID: UInt64, _ status: ah_status_t, _ output: String) {
        var output = output
        output.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                host.raw.pointee.tool_complete(host.raw, callID, status, $0.baseAddress, $0.count)
            }
        }
    }
}

// MARK: - agents

/// Static for the image's lifetime and never written after initialisation.
nonisolated(unsafe) private let agentInterface: UnsafeMutablePointer<ah_agent_t> = {
    let table = UnsafeMutablePointer<ah_agent_t>.allocate(capacity: 1)
    table.initialize(to: ah_agent_t(
        struct_size: UInt32(MemoryLayout<ah_agent_t>.size),
        step: { plugin, step, error in
            guard let box = InstanceBox.from(plugin), let step else {
                ABIText.write("step: plugin and step are required", to: error)
                return AH_ERR_INVALID_ARGUMENT
            }
            return box.step(step, error)
        },
        on_tool_result: { plugin, stepID, callID, status, output, length in
            InstanceBox.from(plugin)?.toolResult(step: stepID, call: callID, status: status, output: ABIText.string(output, length))
        },
        cancel: { plugin, stepID in InstanceBox.from(plugin)?.cancelStep(stepID) }))
    return table
}()

final class AgentBox<A: Agent>: InstanceBox, @unchecked Sendable {
    let agent: A
    let steps = Mutex<[UInt64: (actions: AgentActions, task: TaskHandle)]>([:])
    let catalog: CatalogCache

    init(agent: A, host: PluginHost) {
        self.agent = agent
        // Fetch the routing catalog once per version rather than reading it from every context.
        self.catalog = CatalogCache(fetcher: CatalogFetcher.subscribe(host))
        super.init(host: host)
    }

    override var interfaceID: String { AH_AGENT_INTERFACE_ID }
    override var interfacePointer: UnsafeRawPointer? { UnsafeRawPointer(agentInterface) }

    override func step(_ stepPointer: UnsafePointer<ah_agent_step_t>, _ error: UnsafeMutablePointer<ah_error_t>?) -> ah_status_t {
        let step = stepPointer.pointee
        let turn: Turn
        do {
            guard let context = step.context_json, step.context_len > 0 else {
                throw PluginError.invalidArgument("the step has no context")
            }
            let bytes = UnsafeRawBufferPointer(start: context, count: step.context_len).bindMemory(to: UInt8.self)
            turn = try Turn(contextBytes: bytes, catalog: catalog)
        } catch let thrown {
            let (_, message) = PluginError.statusAndMessage(for: thrown)
            ABIText.write("\(A.id): unreadable step context: \(message)", to: error)
            return AH_ERR_INVALID_ARGUMENT
        }
        let stepID = step.step_id
        let actions = AgentActions(stepID: stepID, host: host)
        let handle = TaskHandle()
        // Register before starting (see ToolBox.invoke): the step may finish inside Task.init.
        steps.withLock { $0[stepID] = (actions, handle) }
        handle.set(Task(executorPreference: InlineExecutor.shared) { [agent, weak self] in
            var status = AH_OK
            var message: String?
            do {
                try await agent.respond(to: turn, with: actions)
            } catch {
                (status, message) = PluginError.statusAndMessage(for: error)
            }
            guard let self else { return }
            self.steps.withLock { _ = $0.removeValue(forKey: stepID) }
            self.host.raw.pointee.agent_step_done(self.host.raw, stepID, status, message)
        })
        return AH_OK
    }

    override func toolResult(step: UInt64, call: UInt64, status: ah_status_t, output: String) {
        let actions = steps.withLock { $0[step]?.actions }
        actions?.deliver(ToolResult(callID: call, ok: status == AH_OK, output: output, status: status))
    }

    override func cancelStep(_ stepID: UInt64) {
        let entry = steps.withLock { $0[stepID] }
        entry?.actions.markCancelled()
        entry?.task.cancel()
    }
}

/// The task running one call or step, for cancellation; set after the entry is registered.
final class TaskHandle: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let cancelled = Mutex(false)

    func set(_ newTask: Task<Void, Never>) {
        let cancelNow = cancelled.withLock { $0 }
        task.withLock { $0 = newTask }
        if cancelNow { newTask.cancel() }
    }

    func cancel() {
        cancelled.withLock { $0 = true }
        task.withLock { $0 }?.cancel()
    }
}
