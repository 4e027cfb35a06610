import AgentHostSDK
import Foundation

extension Turn {
    /// The tenant's triage among the handoff targets: the context's entry agent; from a host
    /// that does not send one, the target whose id ends in ".triage" or whose name says Triage.
    public var triageTarget: HandoffTarget? {
        if let entry = entryAgent { return handoffTargets.first { $0.id == entry.id } }
        return handoffTargets.first { $0.id.hasSuffix(".triage") }
            ?? handoffTargets.first { $0.name.localizedStandardContains("Triage") }
    }

    /// What the caller said this session, oldest first, ending with this step's input.
    public var callerTexts: [String] {
        history.filter { $0.role == "user" }.map(\.text) + (input.isEmpty ? [] : [input])
    }

    /// The agent's last message, if any.
    public var lastAgentText: String? {
        history.last { $0.role == "agent" }?.text
    }
}
