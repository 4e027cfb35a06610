import Foundation

extension Conversation {
    /// A new voice call picks up where the caller's lost call was (its host died mid-call,
    /// docs/scaling.md): the agent they were with, the agents' states and the lost call's lines
    /// as the start of this call's history, so the agent carries on. Loop thread, before `start`.
    ///
    /// Everything else is this call's own: its id, start, turn count (0, so a phone line's
    /// greeting is the continued agent's step on empty input), agents visited and tools. The
    /// carried lines stay out of this call's session record (`inheritedLines`): they are in the
    /// lost call's. An agent this host's tenant no longer has leaves the call at the entry agent.
    package func continueLostCall(_ lost: Snapshot, sessionID: String) {
        loop.preconditionInLoop()
        guard tenant.agents[lost.currentAgentID] != nil else { return }
        currentAgentID = lost.currentAgentID
        agentStates = lost.agentStates
        // All of them: a lost call that itself continued one carried that one's lines too.
        history = lost.history.map { Message(role: $0.role, agent: $0.agent, text: $0.text) }
        inheritedLines = history.count
        continues = sessionID
    }
}
