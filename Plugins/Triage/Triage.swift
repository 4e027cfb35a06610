// The Triage Agent: greets the caller, works out what they need and routes them — to a
// department by handoff, or to a person by escalation. It never resolves anything itself.
import AgentHostSDK
import Foundation
import SupportKit

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([TriageAgent.self])
}

struct TriageAgent: Agent {
    static let id = "com.agenthost.support.triage"
    static let displayName = "Triage Agent"
    static let version = "1.0.0"
    static let description = "Greets callers, finds out what they need and routes them to the right department or to a person."

    /// "Welcome back", with the department the caller last reached when there was one (from the
    /// host's `previous_sessions`), so a returning caller hears that they were recognised.
    static func welcomeBack(_ turn: Turn) -> String {
        let last = turn.previousSessions.last
        let department = last?["agents"]?.arrayValue?.compactMap(\.stringValue).last { !$0.localizedStandardContains("Triage") }
        if last?["outcome"]?.stringValue == "escalated" {
            return "Welcome back. Last time you asked for a person."
        }
        return department.map { "Welcome back. Last time you spoke with our \($0)." } ?? "Welcome back."
    }

    /// Routing classifiers, one per distinct set of handoff targets.
    let cache = ClassifierCache()

    init(host: PluginHost, settings: PluginSettings) {}

    /// A probability as "0.95" — `String(format:)` builds an NSString on Linux, ~1 % of a saturated
    /// loop for this one reason string per routed turn.
    static func twoDecimals(_ probability: Double) -> String {
        let hundredths = Int((max(0, probability) * 100).rounded(.toNearestOrEven))
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    func respond(to turn: Turn, with actions: AgentActions) async throws {
        let input = turn.input.trimmingWhitespace()
        var state = ConversationState(turn.state)
        guard !input.isEmpty else {
            actions.say(turn.caller.returning
                ? "Welcome back, thanks for calling again. How can I help you today?"
                : "Hello, thanks for calling. How can I help you today?")
            actions.setState([:])
            return
        }
        // A department that hands the caller back is excluded, so the caller is not bounced to it again.
        let departments = turn.handoffTargets.filter {
            $0.id != Self.id && $0.id != turn.handedOffFrom?.id && !$0.id.hasSuffix(".triage")
        }
        let router = await TriageRouter.trained(departments: departments, cache: cache)
        let welcome = turn.turnNumber == 1 && turn.caller.returning ? Self.welcomeBack(turn) + " " : ""
        switch router.decide(input, alreadyAsked: state.bool("asked")) {
        case .human:
            actions.say(welcome + "Of course, I'll connect you with a member of our team now.")
            actions.escalate(department: "general", reason: "caller asked for a person")
            actions.setState([:])
        case .department(let target, let probability, let guessed):
            actions.say(welcome + (guessed
                ? "Let me connect you with our \(target.name), who can help from here."
                : "Sure, I'll connect you with our \(target.name)."))
            actions.handoff(to: target.id, reason: "\(target.name): \(Self.twoDecimals(probability)) routing confidence")
            actions.setState([:])
        case .clarify(let question):
            actions.say(welcome + question)
            state.set("asked", true)
            actions.setState(state.json)
        case .noDepartments:
            actions.say(welcome + "I'll connect you with a member of our team who can help.")
            actions.escalate(department: "general", reason: "no department available for this tenant")
            actions.setState([:])
        }
    }
}
