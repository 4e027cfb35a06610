import Foundation
import HostOrchestration
import HostSessions

/// Between the orchestration's `Conversation.Snapshot` and the Redis `ChatCheckpoint`
/// (docs/protocol.md §6): the server knows both, the orchestration neither Redis nor its format.
extension ChatCheckpoint {
    /// A conversation between turns (loop thread).
    init(_ conversation: Conversation) {
        let snapshot = conversation.snapshot()
        self.init(sessionID: conversation.id, tenant: conversation.tenant.id, caller: conversation.caller,
                  currentAgent: snapshot.currentAgentID, agentStates: snapshot.agentStates,
                  history: snapshot.history.map { ChatCheckpoint.Line(role: $0.role, agent: $0.agent, text: $0.text) },
                  turnNumber: snapshot.turnNumber, agentsVisited: snapshot.agentsVisited, toolsCalled: snapshot.toolsCalled,
                  previousSessions: snapshot.previousSessions, startedAt: SessionRecord.timeText(snapshot.startedAt),
                  updatedAt: SessionRecord.timeText(Date()), traceParent: snapshot.traceParent)
        inheritedLines = snapshot.inheritedLines > 0 ? snapshot.inheritedLines : nil
    }

    var snapshot: Conversation.Snapshot {
        Conversation.Snapshot(currentAgentID: currentAgent, agentStates: agentStates,
                              history: history.map { Conversation.Snapshot.Line(role: $0.role, agent: $0.agent, text: $0.text) },
                              turnNumber: turnNumber, agentsVisited: agentsVisited, toolsCalled: toolsCalled,
                              previousSessions: previousSessions, startedAt: SessionRecord.parseTime(startedAt) ?? Date(),
                              traceParent: traceParent, inheritedLines: inheritedLines ?? 0)
    }
}
