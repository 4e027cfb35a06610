import HostModels
import HostPlugins
import HostSupport

/// What an operator decides for one tenant (issue #4 reads it from the configuration file).
public struct TenantConfiguration: Sendable {
    public var id: String
    /// Component ids (agents and tools) enabled for this tenant.
    public var plugins: [String]
    /// The agent a new session starts with (the tenant's triage).
    public var entryAgent: String
    /// Component id → settings JSON object for that component.
    public var settings: [String: String]
    /// Extensions this tenant's plugins may use; nil = every extension the host provides.
    public var grantedExtensions: Set<String>?
    public var limits: TurnLimits
    /// The tenant's model (docs/models.md); nil = the agent plugins' own logic drives every step.
    public var model: ChatCompletionsEndpoint?
    /// How components run when `isolation` names nothing for them (`plugins: {isolation:}`).
    public var defaultIsolation = PluginIsolation()
    /// Per-component isolation (a tenant's plugin entry written as a mapping).
    public var isolation: [String: PluginIsolation] = [:]
    /// Component id → the version a tenant pinned (`version:`); absent = the highest loaded.
    public var versions: [String: String] = [:]
    /// What the orchestration says to callers when no agent speaks (`messages:`).
    public var messages = CallerMessages()
    /// Transfer targets, Twilio account, recording and redaction (docs/telephony.md).
    public var telephony = TenantTelephony()
    /// `telemetry: {include_content}`: whether callers' words may go into span attributes.
    public var telemetry = TenantTelemetry()

    public func isolation(for componentID: String) -> PluginIsolation {
        isolation[componentID] ?? defaultIsolation
    }

    public init(id: String, plugins: [String], entryAgent: String, settings: [String: String] = [:],
                grantedExtensions: Set<String>? = nil, limits: TurnLimits = TurnLimits()) {
        self.id = id
        self.plugins = plugins
        self.entryAgent = entryAgent
        self.settings = settings
        self.grantedExtensions = grantedExtensions
        self.limits = limits
    }
}

/// Per-turn limits that stop handoff ping-pong and runaway tool loops.
public struct TurnLimits: Sendable {
    public var maxHandoffsPerTurn: Int
    public var maxToolCallsPerTurn: Int
    /// How long one agent step may take before the host abandons it.
    public var stepTimeoutMilliseconds: UInt64

    public init(maxHandoffsPerTurn: Int = 3, maxToolCallsPerTurn: Int = 8, stepTimeoutMilliseconds: UInt64 = 15_000) {
        self.maxHandoffsPerTurn = maxHandoffsPerTurn
        self.maxToolCallsPerTurn = maxToolCallsPerTurn
        self.stepTimeoutMilliseconds = stepTimeoutMilliseconds
    }
}
