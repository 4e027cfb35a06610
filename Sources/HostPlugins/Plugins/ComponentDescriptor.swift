import PluginABI

/// A Swift copy of one plugin descriptor, read once at load time (the C strings stay valid, but
/// the host never reads plugin memory again on hot paths).
public struct ComponentDescriptor: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case agent, tool
    }

    public struct AgentProfile: Sendable, Equatable {
        public var handoffDescription: String
        public var examples: [String]
        public var instructions: String?
        public var toolNames: [String]
    }

    public struct ToolProfile: Sendable, Equatable {
        public var name: String
        /// JSON Schema text of the arguments.
        public var parametersSchema: String
    }

    public var id: String
    public var kind: Kind?
    public var rawKind: UInt32
    public var displayName: String?
    public var version: String?
    public var description: String?
    public var requiredExtensions: [String]
    public var agent: AgentProfile?
    public var tool: ToolProfile?

    /// Reads a C descriptor, honouring struct_size so older (smaller) structs read as absent fields.
    init(reading pointer: UnsafePointer<ah_plugin_descriptor_t>) {
        let d = pointer.pointee
        func has<F>(_ field: KeyPath<ah_plugin_descriptor_t, F>) -> Bool {
            guard let offset = MemoryLayout<ah_plugin_descriptor_t>.offset(of: field) else { return false }
            return Int(d.struct_size) >= offset + MemoryLayout<F>.size
        }
        id = d.id.map { String(cString: $0) } ?? ""
        rawKind = d.kind
        kind = d.kind == AH_PLUGIN_KIND_AGENT ? .agent : (d.kind == AH_PLUGIN_KIND_TOOL ? .tool : nil)
        displayName = d.display_name.map { String(cString: $0) }
        version = d.version.map { String(cString: $0) }
        description = d.description.map { String(cString: $0) }
        requiredExtensions = has(\.required_extensions) ? CStringList.read(d.required_extensions) : []
        if has(\.agent), let a = d.agent, a.pointee.struct_size >= UInt32(MemoryLayout<ah_agent_profile_t>.size) {
            agent = AgentProfile(
                handoffDescription: a.pointee.handoff_description.map { String(cString: $0) } ?? "",
                examples: CStringList.read(a.pointee.example_utterances),
                instructions: a.pointee.instructions.map { String(cString: $0) },
                toolNames: CStringList.read(a.pointee.tool_names))
        }
        if has(\.tool), let t = d.tool, t.pointee.struct_size >= UInt32(MemoryLayout<ah_tool_profile_t>.size) {
            tool = ToolProfile(
                name: t.pointee.name.map { String(cString: $0) } ?? "",
                parametersSchema: t.pointee.parameters_schema.map { String(cString: $0) } ?? "")
        }
    }

    public init(id: String, kind: Kind, displayName: String, version: String, description: String,
                requiredExtensions: [String] = [], agent: AgentProfile? = nil, tool: ToolProfile? = nil) {
        self.id = id
        self.kind = kind
        self.rawKind = kind == .agent ? AH_PLUGIN_KIND_AGENT : AH_PLUGIN_KIND_TOOL
        self.displayName = displayName
        self.version = version
        self.description = description
        self.requiredExtensions = requiredExtensions
        self.agent = agent
        self.tool = tool
    }

    public var name: String { displayName ?? id }
}

/// Reads NULL-terminated arrays of C strings, with a sanity bound against unterminated lists.
enum CStringList {
    static let maximumCount = 4096

    static func read(_ list: UnsafePointer<UnsafePointer<CChar>?>?) -> [String] {
        guard let list else { return [] }
        var result: [String] = []
        var index = 0
        while index < maximumCount, let item = list[index] {
            result.append(String(cString: item))
            index += 1
        }
        return result
    }
}
