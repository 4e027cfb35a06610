// A Swift SDK plugin that traps on request, for the isolation tests: a Swift trap (fatalError,
// force-unwrap of nil) kills whatever process runs it, so it must only ever run in a runner.
// A test fixture, not a sample: no tenant should enable it.
import AgentHostSDK

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([TrapTool.self])
}

/// {"mode":"unwrap"} force-unwraps nil, {"mode":"fatal"} calls fatalError, anything else answers "fine".
struct TrapTool: SynchronousTool {
    static let id = "com.agenthost.fixtures.trap"
    static let displayName = "Trap"
    static let version = "1.0.0"
    static let description = "Traps on request (isolation test fixture)."
    static let name = "trap"
    static let parameters: JSONValue = ["type": "object", "properties": ["mode": ["type": "string"]]]

    struct Arguments: Decodable, Sendable { let mode: String }

    init(host: PluginHost, settings: PluginSettings) {}

    func callSynchronously(_ arguments: Arguments, context: ToolCallContext) throws -> String {
        let nothing: String? = arguments.mode == "unwrap" ? nil : "fine"
        if arguments.mode == "fatal" { fatalError("trap tool asked to trap") }
        return nothing!
    }
}
