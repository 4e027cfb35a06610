import Foundation
import HostNet
import HostPlugins
import HostSupport
import PluginABI

/// One caller's session: the current agent, the conversation so far, each agent's scratch
/// state, and the turns run across plugins. Loop-confined: every method runs on `loop`'s thread
/// (public entry points hop there themselves), so no locks guard this state.
public final class Conversation: @unchecked Sendable {
    // @unchecked: all mutable state is touched only on `loop`'s thread.
    public struct Message: Sendable {
        public let role: String  // "user" | "agent"
        public let agent: String?
        public let text: String
    }

    public typealias EventHandler = @Sendable (ConversationEvent) -> Void

    public let id: String
    public let tenant: TenantRuntime
    public let caller: String
    public let loop: EventLoop
    package let services: HostServices
    let onEvent: EventHandler

    // internal(set): a chat checkpoint restores them (Conversation+Checkpoint.swift).
    public internal(set) var currentAgentID: String
    public internal(set) var history: [Message] = []
    public private(set) var ended: String?
    public let returning: Bool
    /// Summaries of the caller's earlier sessions, each a JSON object (rendered once).
    let previousSessions: [String]
    package var agentStates: [String: String] = [:]
    /// Voice hints by agent id, with the turn they were given in (agent_host.voice-hint.draft/0).
    /// An agent listed here has used the extension: its state's legacy `"expect"` is not read.
    var voiceHints: [String: (turn: Int, hint: VoiceHint)] = [:]
    var turnNumber = 0
    var currentTurn: TurnRun?
    var pendingInputs: [String] = []
    /// What the session record keeps (issue #4 persists it).
    public internal(set) var agentsVisited: [String] = []
    public internal(set) var toolsCalled: [String] = []
    public internal(set) var startedAt = Date()
    /// A voice call continuing a lost one (Conversation+LostCall.swift): its id, and how many of
    /// the first `history` lines are that call's (the session record leaves them to it).
    public internal(set) var continues: String?
    public internal(set) var inheritedLines = 0
    /// Set by a channel that can move the call to a person (Twilio, docs/telephony.md).
    package var transferHandler: ((TransferRequest) -> Void)?
    /// The session's span (Conversation+Tracing.swift); nil when tracing is off. Loop thread.
    var sessionSpan: TraceSpan?
    /// Spans of turns a Realtime model runs (Conversation+ExternalTracing.swift). Loop thread.
    lazy var externalTrace = ExternalTurnTrace()

    public init(tenant: TenantRuntime, caller: String, loop: EventLoop, services: HostServices,
                sessionID: String = UUID().uuidString.lowercased(), previousSessions: [String] = [],
                onEvent: @escaping EventHandler) {
        self.id = sessionID
        self.tenant = tenant
        self.caller = caller
        self.loop = loop
        self.services = services
        self.onEvent = onEvent
        self.previousSessions = previousSessions
        self.returning = !previousSessions.isEmpty
        self.currentAgentID = tenant.configuration.entryAgent
    }

    var currentAgent: TenantRuntime.Agent { tenant.agents[currentAgentID] ?? tenant.entryAgent }

    // MARK: public entry points (any thread)

    /// Emits the `session` event. With `greet`, the entry agent takes a step on empty input
    /// (voice calls: the agent speaks first).
    public func start(greet: Bool = false) {
        loop.execute { [self] in
            startSessionSpan()
            emit(.session(sessionID: id, tenant: tenant.id, caller: caller, agent: currentAgent.name, returning: returning,
                          plugins: tenant.pluginVersions, continues: continues))
            agentsVisited.append(currentAgent.name)
            if greet { beginTurn(input: "", announceUser: false) }
        }
    }

    /// The caller said or typed `text`. Turns run one at a time; input arriving mid-turn waits.
    public func send(_ text: String) {
        loop.execute { [self] in
            guard ended == nil else { return }
            if currentTurn != nil {
                pendingInputs.append(text)
            } else {
                beginTurn(input: text, announceUser: true)
            }
        }
    }

    /// The entry agent speaks first (a phone call): a step on empty input, once, before any turn.
    public func greet() {
        loop.execute { [self] in
            guard ended == nil, turnNumber == 0, currentTurn == nil else { return }
            beginTurn(input: "", announceUser: false)
        }
    }

    /// A voice caller barged in: the agent's `said` was cut after `heard` (possibly nothing).
    /// The history, and so the session record and later steps, keep only what was heard.
    public func recordHeard(_ heard: String, of said: String) {
        loop.execute { [self] in
            guard let index = history.lastIndex(where: { $0.role == "agent" && $0.text == said }) else { return }
            if heard.isEmpty {
                history.remove(at: index)
            } else {
                history[index] = Message(role: "agent", agent: history[index].agent, text: heard)
            }
        }
    }

    /// An event that happened outside the orchestration (a Realtime voice brain ran the turn): it
    /// is emitted like the session's own and kept where the session record looks — caller and
    /// agent lines in the history, a handoff as the current agent, tool calls — so the record is
    /// as complete as a cascaded call's and an offline pipeline taking over goes on from here.
    public func record(external event: ConversationEvent) {
        loop.execute { [self] in
            guard ended == nil else { return }
            switch event {
            case .user(let text, true):
                turnNumber += 1
                history.append(Message(role: "user", agent: nil, text: text))
            case .agent(let name, let text):
                history.append(Message(role: "agent", agent: name, text: text))
            case .handoff(_, let to, _):
                if let agent = tenant.agents.values.first(where: { $0.name == to }) { switchAgent(to: agent) }
            case .toolCall(_, let tool, _, _):
                noteToolCall(tool)
            default:
                break
            }
            traceExternal(event)
            emit(event)
        }
    }

    /// What the current agent expects the caller's next words to be; voice calls use it to pick a
    /// recognition grammar for closed prompts. From the voice-hint extension when the agent uses it
    /// (a hint speaks for the turn it was given in only), else from the 1.0 convention, the optional
    /// `"expect"` member of its state (docs/abi.md). Loop thread.
    package var expectation: VoiceHint? {
        if let given = voiceHints[currentAgentID] {
            return given.turn == turnNumber && given.hint.kind != .text ? given.hint : nil
        }
        return VoiceHint.fromLegacyState(agentStates[currentAgentID])
    }

    /// A step of `agentID` gave a voice hint (the last one of a turn wins). Loop thread.
    package func noteVoiceHint(_ hint: VoiceHint, from agentID: String) {
        voiceHints[agentID] = (turnNumber, hint)
    }

    /// Ends the session (caller hung up, shutdown, timeout); an open turn is cancelled.
    public func end(reason: String) {
        loop.execute { [self] in finish(reason: reason) }
    }

    // MARK: loop-thread internals

    /// Every event of the session leaves here, whoever produced it (a turn of the offline or model
    /// brain, or a Realtime brain through `record(external:)`), so what is counted per event is
    /// counted here once for every channel.
    func emit(_ event: ConversationEvent) {
        loop.preconditionInLoop()
        if case .escalated(_, let department, _, _) = event {
            services.metrics.increment("agent_host_escalations_total", labels: ["tenant": tenant.id, "department": department])
        }
        onEvent(event)
    }

    func beginTurn(input: String, announceUser: Bool) {
        loop.preconditionInLoop()
        turnNumber += 1
        if announceUser {
            emit(.user(text: input, final: true))
            history.append(Message(role: "user", agent: nil, text: input))
        }
        let turn = TurnRun(conversation: self, input: input)
        currentTurn = turn
        turn.startSpan()
        turn.step(agent: currentAgent, handedOffFrom: nil)
    }

    /// Called by the turn when it reached `turn_end` (or the session ended in it).
    func turnFinished(_ turn: TurnRun) {
        loop.preconditionInLoop()
        guard currentTurn === turn else { return }
        currentTurn = nil
        if ended == nil, !pendingInputs.isEmpty {
            beginTurn(input: pendingInputs.removeFirst(), announceUser: true)
        }
    }

    func agentSaid(_ text: String, agent: TenantRuntime.Agent) {
        emit(.agent(agent: agent.name, text: text))
        history.append(Message(role: "agent", agent: agent.name, text: text))
    }

    func switchAgent(to agent: TenantRuntime.Agent) {
        currentAgentID = agent.id
        if agentsVisited.last != agent.name { agentsVisited.append(agent.name) }
    }

    func noteToolCall(_ name: String) {
        toolsCalled.append(name)
    }

    func finish(reason: String) {
        loop.preconditionInLoop()
        guard ended == nil else { return }
        ended = reason
        currentTurn?.cancel()
        currentTurn = nil
        // What the caller said that no turn got to (a hang-up mid-turn) is still their words: kept.
        for input in pendingInputs { history.append(Message(role: "user", agent: nil, text: input)) }
        pendingInputs.removeAll()
        services.sessionValues.drop(session: id)
        // The spans end first: whoever sees `end` may stop the exporter at once.
        if tracing.isEnabled, externalTrace.turn != nil { externalTrace.close(reason: "the session ended mid-turn") }
        endSessionSpan(reason: reason)
        emit(.end(reason: reason))
    }

    /// The step context carries the newest messages whose text fits this many bytes (at least
    /// the last one): a long session costs every step the same bounded work on the loop.
    package static let contextHistoryBytes = 32 * 1024

    /// Where the context's history window starts.
    package static func historyWindow(_ history: [Message]) -> Int {
        var bytes = 0
        var start = history.endIndex
        while start > history.startIndex {
            bytes += history[start - 1].text.utf8.count
            if bytes > contextHistoryBytes, start < history.endIndex { break }
            start -= 1
        }
        return start
    }

    /// The step context JSON (docs/abi.md): keys are only ever added. The tenant's static part
    /// is pre-rendered; the rest is written directly (this runs for every step).
    package func contextJSON(for agent: TenantRuntime.Agent, input: String, handedOffFrom: (TenantRuntime.Agent, String?)?) -> String {
        let q = JSONText.quote
        var out = "{" + (agent.catalogChannel?.subscribed == true ? agent.versionOnlyContext : agent.staticContext)
        out += ",\"session_id\":" + q(id)
        out += ",\"tenant\":" + q(tenant.id)
        out += ",\"caller\":{\"id\":" + q(caller) + ",\"returning\":" + (returning ? "true" : "false") + "}"
        out += ",\"turn\":" + String(turnNumber)
        out += ",\"input\":" + q(input)
        out += ",\"history\":["
        for (index, message) in history[Self.historyWindow(history)...].enumerated() {
            if index > 0 { out += "," }
            out += "{\"role\":" + q(message.role)
            if let agent = message.agent { out += ",\"agent\":" + q(agent) }
            out += ",\"text\":" + q(message.text) + "}"
        }
        out += "],\"previous_sessions\":[" + previousSessions.joined(separator: ",") + "]"
        if let (from, reason) = handedOffFrom {
            out += ",\"handed_off_from\":{\"id\":" + q(from.id) + ",\"name\":" + q(from.name)
            if let reason { out += ",\"reason\":" + q(reason) }
            out += "}"
        }
        out += ",\"state\":" + (agentStates[agent.id] ?? "null")
        return out + "}"
    }
}
