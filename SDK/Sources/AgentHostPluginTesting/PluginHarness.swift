import AgentHostToolchain
import Foundation
import Glibc
import PluginABI
import Synchronization

/// Loads a built plugin (.so) through the real ABI and drives it, for plugin authors' own tests:
///
///     let harness = try PluginHarness(path: builtPluginPath, tenant: "acme", settings: ["com.acme.tools.orders": #"{"backend_url":"http://127.0.0.1:8090"}"#])
///     let result = try await harness.callTool("lookup_order", arguments: #"{"order_id":"ORD-1"}"#)
///     let step = try await harness.step(agent: "com.acme.support.billing", input: "what's my balance")
///
/// The harness performs the host's entry checks (entry symbol, ABI major, toolchain, init,
/// factory); run `agent-host plugins inspect` on your .so for the full descriptor validation.
/// It implements the host table: log lines, tool completions and agent actions are recorded; an
/// agent's tool calls go to tools the harness loaded, or to `toolHandler`. Services: per-session
/// key/value is provided; metrics are not; timers run on a background queue; HTTP
/// ("agent_host.http/1") is provided only with `grantHTTP: true`, through URLSession, so tools
/// that call a backend can be tested against a real (or stub) server:
///
///     let harness = try PluginHarness(path: builtPluginPath, settings: [...], grantHTTP: true)
///
/// The harness's HTTP keeps the host's contract (request copied, exactly one callback per
/// accepted request, `timeout_ms` bounding the whole request, malformed method or URL refused
/// with AH_ERR_INVALID_ARGUMENT) but calls back on a URLSession or dispatch thread.
public final class PluginHarness: @unchecked Sendable {
    // @unchecked: mutable state is behind `state`; C pointers are immutable after init.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    public struct Component: Sendable {
        public let id: String
        public let kind: UInt32
        public let displayName: String
        /// For tools: the function name.
        public let toolName: String?
        public let parametersSchema: String?
        public let exampleUtterances: [String]
    }

    /// Everything an agent did during one step, in order.
    public enum Action: Sendable, Equatable {
        case say(String)
        case toolCall(name: String, arguments: String)
        case toolResult(name: String, ok: Bool, output: String)
        case handoff(to: String, reason: String?)
        case escalate(department: String, reason: String?)
        case endSession(reason: String?)
        case setState(String)
        /// A voice hint ("agent_host.voice-hint.draft/0"): the kind ("order_id", "digits",
        /// "yes_no", "text") and length the agent gave.
        case expect(kind: String, length: Int)
    }

    public struct StepRecord: Sendable {
        public let actions: [Action]
        public let status: Int32
        public let message: String?
        public var said: [String] { actions.compactMap { if case .say(let text) = $0 { return text } else { return nil } } }
        /// The step's voice hint (the last one wins), nil when it gave none.
        public var expected: (kind: String, length: Int)? {
            actions.lazy.compactMap { if case .expect(let kind, let length) = $0 { return (kind, length) } else { return nil } }.last
        }
        public var handoffTarget: String? {
            actions.lazy.compactMap { if case .handoff(let to, _) = $0 { return to } else { return nil } }.first
        }
    }

    public struct ToolCallResult: Sendable {
        public let ok: Bool
        public let status: Int32
        public let output: String
    }

    /// Answers tool calls the loaded plugins do not provide: (name, arguments JSON) → (ok, output).
    public typealias ToolHandler = @Sendable (String, String) -> (Bool, String)

    public let path: String
    public let components: [Component]
    public private(set) var logLines: [String] {
        get { state.withLock { $0.logLines } }
        set { state.withLock { $0.logLines = newValue } }
    }

    let tenant: String
    let entry: UnsafePointer<ah_plugin_entry_t>
    let factory: UnsafePointer<ah_plugin_factory_t>
    let hostTable: UnsafeMutablePointer<ah_host_t>
    let services = HarnessServices()
    var instances: [String: UnsafePointer<ah_plugin_t>] = [:]
    let state = Mutex(HarnessState())
    public var toolHandler: ToolHandler?
    /// Whether plugins get "agent_host.http/1" (see `init`).
    public let grantsHTTP: Bool

    /// Loads `path` and creates an instance of every component it provides for `tenant`.
    /// `settings` maps component id → settings JSON object (default "{}"). With `grantHTTP`
    /// the plugins get the HTTP extension (real requests through URLSession); without it
    /// `get_extension("agent_host.http/1")` answers NULL, as for a tenant not granted it.
    public init(path: String, tenant: String = "test", settings: [String: String] = [:], grantHTTP: Bool = false) throws {
        self.path = path
        self.tenant = tenant
        self.grantsHTTP = grantHTTP
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw LoadError(description: "\(path): cannot be loaded: \(dlerror().map { String(cString: $0) } ?? "?")")
        }
        guard let symbol = dlsym(handle, AH_ENTRY_SYMBOL) else {
            throw LoadError(description: "\(path): no entry point \(AH_ENTRY_SYMBOL)")
        }
        guard let entry = unsafeBitCast(symbol, to: ah_plugin_entry_fn.self)() else {
            throw LoadError(description: "\(path): entry function returned NULL")
        }
        guard entry.pointee.abi_major == UInt16(AH_ABI_VERSION_MAJOR) else {
            throw LoadError(description: "\(path): built for ABI \(entry.pointee.abi_major).\(entry.pointee.abi_minor), harness speaks \(AH_ABI_VERSION_MAJOR).x")
        }
        let toolchain = entry.pointee.toolchain.map { String(cString: $0) } ?? ""
        let ours = String(cString: agent_host_swift_toolchain_id())
        guard toolchain == AH_TOOLCHAIN_NONE || toolchain == ours else {
            throw LoadError(description: "\(path): built with Swift toolchain '\(toolchain)', tests run '\(ours)'")
        }
        var error = ah_error_t()
        guard entry.pointee.`init`(path, &error) == AH_OK else {
            throw LoadError(description: "\(path): init failed: \(Self.text(&error))")
        }
        guard let raw = entry.pointee.get_factory(AH_PLUGIN_FACTORY_ID) else {
            throw LoadError(description: "\(path): no plugin factory")
        }
        self.entry = entry
        self.factory = raw.assumingMemoryBound(to: ah_plugin_factory_t.self)
        var components: [Component] = []
        for index in 0..<factory.pointee.get_plugin_count(factory) {
            guard let d = factory.pointee.get_plugin_descriptor(factory, index)?.pointee, let id = d.id else { continue }
            var examples: [String] = []
            if let list = d.agent?.pointee.example_utterances {
                var i = 0
                while let item = list[i] { examples.append(String(cString: item)); i += 1 }
            }
            components.append(Component(
                id: String(cString: id), kind: d.kind,
                displayName: d.display_name.map { String(cString: $0) } ?? "",
                toolName: d.tool?.pointee.name.map { String(cString: $0) },
                parametersSchema: d.tool?.pointee.parameters_schema.map { String(cString: $0) },
                exampleUtterances: examples))
        }
        self.components = components
        hostTable = HarnessHostTable.make(tenant: tenant)
        hostTable.pointee.host_data = Unmanaged.passUnretained(self).toOpaque()
        for component in components {
            var createError = ah_error_t()
            var instance: UnsafePointer<ah_plugin_t>?
            let json = settings[component.id] ?? "{}"
            let status = factory.pointee.create_plugin(factory, hostTable, component.id, json, json.utf8.count, &instance, &createError)
            guard status == AH_OK, let instance else {
                throw LoadError(description: "\(component.id): create_plugin failed (\(status)): \(Self.text(&createError))")
            }
            instances[component.id] = instance
        }
    }

    deinit {
        for instance in instances.values { instance.pointee.destroy(instance) }
        hostTable.deallocate()
    }

    /// Calls a tool by function name through `invoke` and waits for its one completion.
    /// A refused invoke (e.g. invalid arguments) comes back as ok == false with the plugin's message.
    public func callTool(_ name: String, arguments: String = "{}", session: String = "session-1",
                         caller: String = "+15550000000") async throws -> ToolCallResult {
        guard let component = components.first(where: { $0.toolName == name }), let instance = instances[component.id],
              let tool = instance.pointee.get_interface(instance, AH_TOOL_INTERFACE_ID)?.assumingMemoryBound(to: ah_tool_t.self)
        else { throw LoadError(description: "no tool named \(name) in \(path)") }
        let callID = services.nextID()
        return await withCheckedContinuation { continuation in
            services.expectCall(callID) { status, output in
                continuation.resume(returning: ToolCallResult(ok: status == AH_OK, status: status, output: output))
            }
            var error = ah_error_t()
            let status = session.withCString { s in
                caller.withCString { c in
                    arguments.withCString { a in
                        var call = ah_tool_call_t(struct_size: UInt32(MemoryLayout<ah_tool_call_t>.size), call_id: callID,
                                                  session_id: s, caller_id: c, arguments_json: a, arguments_len: strlen(a))
                        return tool.pointee.invoke(instance, &call, &error)
                    }
                }
            }
            if status != AH_OK {
                services.completeCall(callID, status: status, output: Self.text(&error))
            }
        }
    }

    /// Runs one agent step with a context built from `input` (override any context key with
    /// `context`, e.g. handoff_targets or state) and returns what the agent did.
    public func step(agent id: String, input: String, session: String = "session-1", context: [String: Any] = [:]) async throws -> StepRecord {
        guard let instance = instances[id],
              let agent = instance.pointee.get_interface(instance, AH_AGENT_INTERFACE_ID)?.assumingMemoryBound(to: ah_agent_t.self)
        else { throw LoadError(description: "no agent \(id) in \(path)") }
        var object: [String: Any] = [
            "session_id": session, "tenant": tenant, "caller": ["id": "+15550000000", "returning": false],
            "turn": 1, "input": input, "history": [], "previous_sessions": [], "handoff_targets": [], "tools": [],
            "state": NSNull(),
        ]
        for (key, value) in context { object[key] = value }
        let contextJSON = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let stepID = services.nextID()
        return await withCheckedContinuation { continuation in
            let recorder = StepRecorder(stepID: stepID, instance: instance, agent: agent, harness: self) { record in
                continuation.resume(returning: record)
            }
            state.withLock { $0.steps[stepID] = recorder }
            var error = ah_error_t()
            let status = session.withCString { s in
                input.withCString { i in
                    contextJSON.withCString { c in
                        var step = ah_agent_step_t(struct_size: UInt32(MemoryLayout<ah_agent_step_t>.size), step_id: stepID,
                                                   session_id: s, input: i, input_len: strlen(i), context_json: c, context_len: strlen(c))
                        return agent.pointee.step(instance, &step, &error)
                    }
                }
            }
            if status != AH_OK {
                recorder.finish(status: status, message: Self.text(&error))
            }
        }
    }

    /// Calls every plugin's destroy and the entry's shutdown; the harness is unusable afterwards.
    public func shutdown() {
        for instance in instances.values { instance.pointee.destroy(instance) }
        instances.removeAll()
        entry.pointee.shutdown()
    }

    static func text(_ error: inout ah_error_t) -> String {
        withUnsafeBytes(of: &error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    static func from(_ host: UnsafePointer<ah_host_t>?) -> PluginHarness? {
        host?.pointee.host_data.map { Unmanaged<PluginHarness>.fromOpaque($0).takeUnretainedValue() }
    }
}

struct HarnessState: ~Copyable {
    var logLines: [String] = []
    var steps: [UInt64: StepRecorder] = [:]
}
