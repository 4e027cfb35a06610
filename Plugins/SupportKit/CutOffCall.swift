import AgentHostSDK
import Foundation

/// A department asked to speak first: the host does that only for a voice call that continues
/// the caller's lost call (its host died mid-call; the host's docs/scaling.md), at the agent the
/// caller was with. The agent apologises for the cut and repeats what it last said to them,
/// keeping its state, so the caller answers the question they were answering.
public enum CutOffCall {
    /// True when it answered `turn` (an empty input, with words of this agent's in the history):
    /// the caller hears the apology and the agent's last words, and the state is as it was.
    public static func resume<C: DepartmentConversation>(_ turn: Turn, agentName: String, actions: AgentActions,
                                                          as conversation: C.Type) -> Bool {
        guard resume(turn, agentName: agentName, actions: actions) else { return false }
        // The pending question stays pending, and its answer is recognised as before.
        let awaiting = ConversationState(turn.state).string("awaiting").flatMap(C.Awaiting.init(rawValue:))
        _ = actions.expect(awaiting.flatMap(C.speechExpectation) ?? .text)
        return true
    }

    /// The same for an agent whose answers are all open (no recognition hint).
    public static func resume(_ turn: Turn, agentName: String, actions: AgentActions) -> Bool {
        // A greeting of a department that is a tenant's entry agent has no words of its own before it.
        guard turn.input.trimmingWhitespace().isEmpty,
              let last = turn.history.last(where: { $0.role == "agent" && $0.agent == agentName })?.text else { return false }
        actions.say("Sorry, we were cut off. " + last)
        actions.setState(ConversationState(turn.state).json)
        return true
    }
}
