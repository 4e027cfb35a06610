import Foundation
import HostSupport

/// What a channel saw of one turn: its events (docs/protocol.md §1, as JSON objects) and the
/// latency the channel measures (docs/evals.md), or the reason the turn did not finish.
public struct TurnObservation: @unchecked Sendable {
    // @unchecked: the JSON objects are built by one driver and only read afterwards.
    public var events: [[String: Any]] = []
    public var latencyMilliseconds: Int?
    /// Set when the turn did not come to an end (timeout, a lost connection, the host refused).
    public var problem: String?

    public init() {}

    func strings(_ type: String, _ key: String) -> [String] {
        events.filter { $0["type"] as? String == type }.compactMap { $0[key] as? String }
    }

    /// What the agents said in the turn, in order.
    public var reply: String { strings("agent", "text").joined(separator: " ") }

    /// The agent the caller is with after the turn: `turn_end`'s, else the last handoff's target,
    /// else the last agent that spoke.
    public var agent: String? {
        strings("turn_end", "agent").last ?? strings("handoff", "to").last ?? strings("agent", "agent").last
    }

    public var ended: String? { strings("end", "reason").last }
}

/// Checks one turn against its expectation: one readable sentence per unmet expectation.
public enum TurnCheck {
    public static func failures(_ expect: TurnExpectation, _ seen: TurnObservation) -> [String] {
        if let problem = seen.problem { return ["the turn did not finish: \(problem)"] }
        var out: [String] = []
        if let agent = expect.agent, !sameAgent(agent, seen.agent) {
            out.append("expected to be with \(agent) after the turn, was with \(seen.agent ?? "no agent")")
        }
        let handoffs = seen.strings("handoff", "to")
        if let target = expect.handoff, !handoffs.contains(where: { sameAgent(target, $0) }) {
            out.append("expected a handoff to \(target), handoffs in the turn: \(handoffs.isEmpty ? "none" : handoffs.joined(separator: ", "))")
        }
        let calls = seen.events.filter { $0["type"] as? String == "tool_call" }
        let described = calls.map { "\($0["tool"] as? String ?? "?") \(JSONText.render($0["arguments"] ?? [:]))" }
        for tool in expect.tools {
            let wanted = (try? JSONSerialization.jsonObject(with: Data(tool.argumentsJSON.utf8))) ?? [:]
            let matched = calls.contains { $0["tool"] as? String == tool.name && contains($0["arguments"] ?? [:], wanted) }
            if !matched {
                let arguments = tool.argumentsJSON == "{}" ? "" : " with arguments including \(tool.argumentsJSON)"
                out.append("expected a call to \(tool.name)\(arguments); calls in the turn: \(described.isEmpty ? "none" : described.joined(separator: "; "))")
            }
        }
        for name in expect.toolsNotCalled {
            if let call = calls.first(where: { $0["tool"] as? String == name }) {
                out.append("expected no call to \(name), it was called with \(JSONText.render(call["arguments"] ?? [:]))")
            }
        }
        let departments = seen.strings("escalated", "department")
        if expect.escalated == true || expect.escalatedTo != nil {
            if departments.isEmpty {
                out.append("expected an escalation to \(expect.escalatedTo ?? "a person"), there was none")
            } else if let department = expect.escalatedTo, !departments.contains(where: { $0.caseInsensitiveCompare(department) == .orderedSame }) {
                out.append("expected an escalation to \(department), escalated to \(departments.joined(separator: ", "))")
            }
        } else if expect.escalated == false, !departments.isEmpty {
            out.append("expected no escalation, escalated to \(departments.joined(separator: ", "))")
        }
        let reply = seen.reply
        for text in expect.replyContains where reply.range(of: text, options: .caseInsensitive) == nil {
            out.append("expected the reply to contain \"\(text)\", it was: \(quoted(reply))")
        }
        for text in expect.replyNotContains where reply.range(of: text, options: .caseInsensitive) != nil {
            out.append("expected the reply not to contain \"\(text)\", it was: \(quoted(reply))")
        }
        if let reason = expect.ended, seen.ended != reason {
            out.append("expected the session to end (\(reason)) in the turn, \(seen.ended.map { "it ended (\($0))" } ?? "it goes on")")
        }
        if let budget = expect.latencyMilliseconds {
            if let latency = seen.latencyMilliseconds {
                if latency > budget { out.append("latency \(latency) ms is over the \(budget) ms budget") }
            } else {
                out.append("no latency was measured (no agent reply arrived) against the \(budget) ms budget")
            }
        }
        return out
    }

    /// `billing`, `Billing`, `Billing Agent` all name the Billing Agent.
    static func sameAgent(_ expected: String, _ actual: String?) -> Bool {
        guard let actual else { return false }
        func short(_ name: String) -> String {
            let lower = name.lowercased().trimmingCharacters(in: .whitespaces)
            return lower.hasSuffix(" agent") ? String(lower.dropLast(6)) : lower
        }
        return short(expected) == short(actual)
    }

    /// Subset match: every key of an expected object is in the actual one with a matching value;
    /// arrays match element by element; scalars are equal (numbers by value).
    static func contains(_ actual: Any, _ expected: Any) -> Bool {
        switch expected {
        case let object as [String: Any]:
            guard let actual = actual as? [String: Any] else { return false }
            return object.allSatisfy { key, value in actual[key].map { contains($0, value) } ?? false }
        case let array as [Any]:
            guard let actual = actual as? [Any], actual.count == array.count else { return false }
            return zip(actual, array).allSatisfy { contains($0, $1) }
        case let string as String:
            return (actual as? String) == string
        case let number as NSNumber:
            return (actual as? NSNumber).map { $0 == number } ?? false
        case is NSNull:
            return actual is NSNull
        default:
            return false
        }
    }

    private static func quoted(_ reply: String) -> String {
        reply.isEmpty ? "(nothing)" : "\"\(reply.count > 240 ? reply.prefix(240) + "…" : reply)\""
    }
}
