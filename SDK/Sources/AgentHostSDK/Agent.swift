/// A department agent written as ordinary Swift.
///
/// For each step of a turn the SDK decodes the host's context into a `Turn` and calls
/// `respond`. The agent acts through `actions` — say, call tools (awaiting their results), hand
/// off, escalate, end the session, keep scratch state — and the step finishes when `respond`
/// returns (or throws: the host then apologises to the caller and emits an `error` event).
public protocol Agent: PluginComponent {
    /// What makes the agent routable and drivable by a model-backed brain.
    static var profile: AgentProfile { get }
    func respond(to turn: Turn, with actions: AgentActions) async throws
}

public struct AgentProfile: Sendable {
    /// One sentence on what this agent handles, written for routing.
    public var handoffDescription: String
    /// Things callers say that belong here; the router trains on them (at least 3).
    public var examples: [String]
    /// The agent's instructions for a model-backed brain (its system prompt).
    public var instructions: String?
    /// Tools this agent calls (by function name).
    public var tools: [String]

    public init(handoffDescription: String, examples: [String], instructions: String? = nil, tools: [String] = []) {
        self.handoffDescription = handoffDescription
        self.examples = examples
        self.instructions = instructions
        self.tools = tools
    }
}

/// The context of one step, decoded from the host's context JSON (docs/abi.md).
public struct Turn: Decodable, Sendable {
    public struct Caller: Decodable, Sendable {
        public let id: String
        public let returning: Bool

        public init(id: String, returning: Bool) {
            self.id = id
            self.returning = returning
        }
    }

    public struct Message: Decodable, Sendable {
        /// "user" or "agent".
        public let role: String
        /// The agent's display name, for agent messages.
        public let agent: String?
        public let text: String

        public init(role: String, agent: String?, text: String) {
            self.role = role
            self.agent = agent
            self.text = text
        }
    }

    public struct HandoffTarget: Decodable, Sendable {
        public let id: String
        public let name: String
        public let description: String
        public let examples: [String]

        public init(id: String, name: String, description: String, examples: [String]) {
            self.id = id
            self.name = name
            self.description = description
            self.examples = examples
        }
    }

    public struct ToolInfo: Decodable, Sendable {
        public let name: String
        public let description: String
        public let parameters: JSONValue

        public init(name: String, description: String, parameters: JSONValue) {
            self.name = name
            self.description = description
            self.parameters = parameters
        }
    }

    /// The tenant's entry agent (its triage): where a department sends what it does not handle.
    public struct AgentReference: Decodable, Sendable {
        public let id: String
        public let name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    public struct HandoffOrigin: Decodable, Sendable {
        public let id: String
        public let name: String
        public let reason: String?

        public init(id: String, name: String, reason: String?) {
            self.id = id
            self.name = name
            self.reason = reason
        }
    }

    public let sessionID: String
    public let tenant: String
    public let caller: Caller
    /// 1 for the caller's first turn of this session.
    public let turnNumber: Int
    public let input: String
    /// The conversation so far in this session, oldest first (not including `input`).
    public let history: [Message]
    /// Summaries of this caller's earlier sessions, newest last (empty for a first-time caller).
    public let previousSessions: [JSONValue]
    /// Agents this one may hand off to, with their routing material.
    public let handoffTargets: [HandoffTarget]
    /// Tools this agent may call in this session.
    public let tools: [ToolInfo]
    /// Set when this step follows a handoff to this agent.
    public let handedOffFrom: HandoffOrigin?
    /// The agent's scratch state from its previous step in this session (nil at first).
    public let state: JSONValue?
    /// The tenant's entry agent (nil from a host that does not send it).
    public let entryAgent: AgentReference?

    /// A turn built in code (tests, other brains); the SDK builds agents' turns from the context.
    public init(sessionID: String, tenant: String, caller: Caller, turnNumber: Int, input: String, history: [Message],
                previousSessions: [JSONValue], handoffTargets: [HandoffTarget], tools: [ToolInfo],
                handedOffFrom: HandoffOrigin?, state: JSONValue?, entryAgent: AgentReference?) {
        self.sessionID = sessionID
        self.tenant = tenant
        self.caller = caller
        self.turnNumber = turnNumber
        self.input = input
        self.history = history
        self.previousSessions = previousSessions
        self.handoffTargets = handoffTargets
        self.tools = tools
        self.handedOffFrom = handedOffFrom
        self.state = state
        self.entryAgent = entryAgent
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", tenant, caller, turnNumber = "turn", input, history
        case previousSessions = "previous_sessions", handoffTargets = "handoff_targets", tools
        case handedOffFrom = "handed_off_from", state, entryAgent = "entry_agent"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sessionID = try c.decode(String.self, forKey: .sessionID)
        tenant = try c.decodeIfPresent(String.self, forKey: .tenant) ?? ""
        caller = try c.decodeIfPresent(Caller.self, forKey: .caller) ?? Caller(id: "", returning: false)
        turnNumber = try c.decodeIfPresent(Int.self, forKey: .turnNumber) ?? 1
        input = try c.decodeIfPresent(String.self, forKey: .input) ?? ""
        history = try c.decodeIfPresent([Message].self, forKey: .history) ?? []
        previousSessions = try c.decodeIfPresent([JSONValue].self, forKey: .previousSessions) ?? []
        handoffTargets = try c.decodeIfPresent([HandoffTarget].self, forKey: .handoffTargets) ?? []
        tools = try c.decodeIfPresent([ToolInfo].self, forKey: .tools) ?? []
        handedOffFrom = try c.decodeIfPresent(HandoffOrigin.self, forKey: .handedOffFrom)
        let rawState = try c.decodeIfPresent(JSONValue.self, forKey: .state)
        state = rawState == .null ? nil : rawState
        entryAgent = try c.decodeIfPresent(AgentReference.self, forKey: .entryAgent)
    }
}

/// The result of a tool call as the agent sees it.
public struct ToolResult: Sendable {
    public let callID: UInt64
    public let ok: Bool
    /// The tool's output, or why it failed.
    public let output: String
    public let status: Int32
}
