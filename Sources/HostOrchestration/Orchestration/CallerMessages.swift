import Foundation

/// The words the orchestration itself says to a caller — never product wording in code: each is
/// the tenant's (`messages:` in the configuration, docs/operations.md), with today's texts as
/// defaults. What agents say comes from their plugins; these cover the moments no agent speaks:
/// a failed step, an escalation without a queue, the queue's answer.
public struct CallerMessages: Sendable, Equatable {
    /// A step failed (plugin error, timeout, crash) and the agent said nothing.
    public var apology = "Sorry, something went wrong on my side. Could you say that again?"
    /// An agent escalated but the tenant has no `escalate_to_human` tool enabled.
    public var noHumanAvailable = "I'm sorry, I can't reach a person right now. Please call back during business hours."
    /// The `escalate_to_human` tool failed.
    public var queueUnreachable = "I'm sorry, I couldn't reach the queue for a person just now. Please try again in a moment."
    /// The caller was queued: `{position}`, `{department}` and `{wait}` ("1 minute", "4 minutes")
    /// are filled in. Used unless the queue tool's result carries its own `announcement`.
    public var queuePosition = "You're number {position} in line for a person on our {department} team; the wait is about {wait}."
    /// A phone call is being moved to a person (docs/telephony.md): `{department}` is filled in.
    public var transferring = "I'm connecting you with a person on our {department} team now. I've told them what we discussed."

    public init() {}

    /// The placeholders `queuePosition` may use.
    public static let queuePlaceholders = ["position", "department", "wait"]

    public func queued(position: Int, department: String, waitMinutes: Int) -> String {
        Self.fill(queuePosition, ["position": String(position), "department": department,
                                  "wait": "\(waitMinutes) minute\(waitMinutes == 1 ? "" : "s")"])
    }

    /// The placeholders `transferring` may use.
    public static let transferPlaceholders = ["department"]

    public func transfer(department: String) -> String {
        Self.fill(transferring, ["department": department])
    }

    /// Replaces each `{name}` with its value; other text is kept as written.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = template
        for (name, value) in values { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
        return out
    }

    /// The `{name}` placeholders a template uses that are not in `known` (for the configuration's error).
    package static func unknownPlaceholders(in template: String, known: [String]) -> [String] {
        template.matches(of: /\{([a-z_]+)\}/).map { String($0.1) }.filter { !known.contains($0) }
    }
}
