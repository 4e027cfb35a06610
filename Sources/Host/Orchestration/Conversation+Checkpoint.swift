import Foundation

extension Conversation {
    /// The conversation between turns, for another host to continue (loop thread).
    func checkpoint() -> ChatCheckpoint {
        ChatCheckpoint(sessionID: id, tenant: tenant.id, caller: caller, currentAgent: currentAgentID,
                       agentStates: agentStates,
                       history: history.map { ChatCheckpoint.Line(role: $0.role, agent: $0.agent, text: $0.text) },
                       turnNumber: turnNumber, agentsVisited: agentsVisited, toolsCalled: toolsCalled,
                       previousSessions: previousSessions, startedAt: SessionRecord.timeText(startedAt),
                       updatedAt: SessionRecord.timeText(Date()))
    }

    /// Takes up a checkpoint another host wrote (loop thread, before any turn). No `session` event:
    /// the client had it when the conversation began. An agent this host's tenant no longer has
    /// (a reload removed it) falls back to the entry agent, as a new session would start.
    func resume(from checkpoint: ChatCheckpoint) {
        currentAgentID = tenant.agents[checkpoint.currentAgent] != nil ? checkpoint.currentAgent : tenant.configuration.entryAgent
        agentStates = checkpoint.agentStates
        history = checkpoint.history.map { Message(role: $0.role, agent: $0.agent, text: $0.text) }
        turnNumber = checkpoint.turnNumber
        agentsVisited = checkpoint.agentsVisited
        toolsCalled = checkpoint.toolsCalled
        if let started = SessionRecord.parseTime(checkpoint.startedAt) { startedAt = started }
    }
}
