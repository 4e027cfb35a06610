import AgentHostSDK
import Foundation

extension Turn {
    /// The tenant's triage agent among the handoff targets: the target whose id ends in
    /// ".triage", else the first whose name contains "Triage". (The context's "entry_agent" is not
    /// decoded by the SDK's Turn yet, so this is found by convention.)
    public var triageTarget: HandoffTarget? {
        handoffTargets.first { $0.id.hasSuffix(".triage") }
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
