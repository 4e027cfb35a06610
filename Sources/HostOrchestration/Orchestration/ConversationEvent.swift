import HostSupport

/// The events of docs/protocol.md §1, the same on every channel (WebSocket, POST /v1/chat, chat --json).
public enum ConversationEvent: Sendable, Equatable {
    /// `plugins`: component id → version of every component this session runs (docs/protocol.md §1);
    /// `continues`: the lost call this voice call picks up from (docs/protocol.md §8).
    case session(sessionID: String, tenant: String, caller: String, agent: String, returning: Bool, plugins: [String: String] = [:],
                 continues: String? = nil)
    case user(text: String, final: Bool)
    case agent(agent: String, text: String)
    case handoff(from: String, to: String, reason: String?)
    case toolCall(agent: String, tool: String, callID: String, argumentsJSON: String)
    case toolResult(tool: String, callID: String, ok: Bool, output: String)
    case escalated(agent: String, department: String, position: Int, waitMinutes: Int)
    /// The call is being moved to a person (docs/protocol.md §1, docs/telephony.md).
    case transfer(agent: String, department: String, target: String)
    case speechStarted(atMilliseconds: Int)
    case speechStopped(atMilliseconds: Int)
    case interrupted(atMilliseconds: Int)
    /// `latency`: where the turn's time went (`latency_ms`, TurnLatency); nil when nothing was measured.
    case turnEnd(agent: String, latency: TurnLatency? = nil)
    case end(reason: String)
    case error(code: String, message: String)

    public var type: String {
        switch self {
        case .session: "session"
        case .user: "user"
        case .agent: "agent"
        case .handoff: "handoff"
        case .toolCall: "tool_call"
        case .toolResult: "tool_result"
        case .escalated: "escalated"
        case .transfer: "transfer"
        case .speechStarted: "speech_started"
        case .speechStopped: "speech_stopped"
        case .interrupted: "interrupted"
        case .turnEnd: "turn_end"
        case .end: "end"
        case .error: "error"
        }
    }

    /// One line of compact JSON with sorted keys, written directly (no JSONSerialization: this
    /// runs for every event of every turn). `arguments` is spliced as the JSON object it is
    /// (the orchestration checked it when the agent made the call).
    public var json: String {
        let q = JSONText.quote
        var m: [(String, String)]
        switch self {
        case let .session(sessionID, tenant, caller, agent, returning, plugins, continues):
            m = [("agent", q(agent)), ("caller", q(caller))]
            if let continues { m.append(("continues", q(continues))) }
            if !plugins.isEmpty { m.append(("plugins", JSONText.object(plugins.sorted { $0.key < $1.key }.map { ($0.key, q($0.value)) }))) }
            m += [("returning", returning ? "true" : "false"), ("session_id", q(sessionID)), ("tenant", q(tenant))]
        case let .user(text, final):
            m = [("final", final ? "true" : "false"), ("text", q(text))]
        case let .agent(agent, text):
            m = [("agent", q(agent)), ("text", q(text))]
        case let .handoff(from, to, reason):
            m = [("from", q(from))] + (reason.map { [("reason", q($0))] } ?? []) + [("to", q(to))]
        case let .toolCall(agent, tool, callID, argumentsJSON):
            m = [("agent", q(agent)), ("arguments", argumentsJSON.isEmpty ? "{}" : argumentsJSON), ("call_id", q(callID)), ("tool", q(tool))]
        case let .toolResult(tool, callID, ok, output):
            m = [("call_id", q(callID)), ("ok", ok ? "true" : "false"), ("output", q(output)), ("tool", q(tool))]
        case let .escalated(agent, department, position, waitMinutes):
            m = [("agent", q(agent)), ("department", q(department)), ("position", String(position)), ("wait_minutes", String(waitMinutes))]
        case let .transfer(agent, department, target):
            m = [("agent", q(agent)), ("department", q(department)), ("target", q(target))]
        case let .speechStarted(at), let .speechStopped(at), let .interrupted(at):
            m = [("at_ms", String(at))]
        case let .turnEnd(agent, latency):
            m = [("agent", q(agent))]
            if let latency, !latency.isEmpty { m.append(("latency_ms", latency.json)) }
        case let .end(reason):
            m = [("reason", q(reason))]
        case let .error(code, message):
            m = [("code", q(code)), ("message", q(message))]
        }
        m.append(("type", q(type)))
        m.sort { $0.0 < $1.0 }
        return JSONText.object(m)
    }
}
