import Foundation

/// The events of CONTRACT §1, the same on every channel (WebSocket, POST /v1/chat, chat --json).
public enum ConversationEvent: Sendable, Equatable {
    case session(sessionID: String, tenant: String, caller: String, agent: String, returning: Bool)
    case user(text: String, final: Bool)
    case agent(agent: String, text: String)
    case handoff(from: String, to: String, reason: String?)
    case toolCall(agent: String, tool: String, callID: String, argumentsJSON: String)
    case toolResult(tool: String, callID: String, ok: Bool, output: String)
    case escalated(agent: String, department: String, position: Int, waitMinutes: Int)
    case speechStarted(atMilliseconds: Int)
    case speechStopped(atMilliseconds: Int)
    case interrupted(atMilliseconds: Int)
    case turnEnd(agent: String)
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
        case .speechStarted: "speech_started"
        case .speechStopped: "speech_stopped"
        case .interrupted: "interrupted"
        case .turnEnd: "turn_end"
        case .end: "end"
        case .error: "error"
        }
    }

    /// The event as a JSON-ready dictionary (snake_case fields, `type` first in meaning).
    public var fields: [String: Any] {
        var f: [String: Any] = ["type": type]
        switch self {
        case let .session(sessionID, tenant, caller, agent, returning):
            f["session_id"] = sessionID; f["tenant"] = tenant; f["caller"] = caller; f["agent"] = agent; f["returning"] = returning
        case let .user(text, final):
            f["text"] = text; f["final"] = final
        case let .agent(agent, text):
            f["agent"] = agent; f["text"] = text
        case let .handoff(from, to, reason):
            f["from"] = from; f["to"] = to
            if let reason { f["reason"] = reason }
        case let .toolCall(agent, tool, callID, argumentsJSON):
            f["agent"] = agent; f["tool"] = tool; f["call_id"] = callID
            f["arguments"] = (try? JSONSerialization.jsonObject(with: Data(argumentsJSON.utf8), options: [.fragmentsAllowed])) ?? [String: Any]()
        case let .toolResult(tool, callID, ok, output):
            f["tool"] = tool; f["call_id"] = callID; f["ok"] = ok; f["output"] = output
        case let .escalated(agent, department, position, waitMinutes):
            f["agent"] = agent; f["department"] = department; f["position"] = position; f["wait_minutes"] = waitMinutes
        case let .speechStarted(at), let .speechStopped(at), let .interrupted(at):
            f["at_ms"] = at
        case let .turnEnd(agent):
            f["agent"] = agent
        case let .end(reason):
            f["reason"] = reason
        case let .error(code, message):
            f["code"] = code; f["message"] = message
        }
        return f
    }

    /// One line of compact JSON with sorted keys.
    public var json: String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
