import Foundation

extension Conversation {
    /// What another host needs to continue this conversation between turns. Plain values, so the
    /// orchestration knows nothing of where it is stored (HostServer maps it to a `ChatCheckpoint`,
    /// docs/protocol.md §6). Agents' scratch state is host-held JSON (`set_state`), so this is all.
    package struct Snapshot: Sendable, Equatable {
        package struct Line: Sendable, Equatable {
            package var role: String
            package var agent: String?
            package var text: String
            package init(role: String, agent: String?, text: String) {
                self.role = role
                self.agent = agent
                self.text = text
            }
        }

        /// Component id of the agent the caller is with.
        package var currentAgentID: String
        /// Component id → that agent's state JSON.
        package var agentStates: [String: String]
        package var history: [Line]
        package var turnNumber: Int
        package var agentsVisited: [String]
        package var toolsCalled: [String]
        package var previousSessions: [String]
        package var startedAt: Date
        /// The `session` span's W3C `traceparent` (nil: tracing off): the trace goes on where it is resumed.
        package var traceParent: String?
        /// The first this many `history` lines were carried over from a lost call (voice only).
        package var inheritedLines: Int

        package init(currentAgentID: String, agentStates: [String: String], history: [Line], turnNumber: Int,
                     agentsVisited: [String], toolsCalled: [String], previousSessions: [String], startedAt: Date,
                     traceParent: String? = nil, inheritedLines: Int = 0) {
            self.currentAgentID = currentAgentID
            self.agentStates = agentStates
            self.history = history
            self.turnNumber = turnNumber
            self.agentsVisited = agentsVisited
            self.toolsCalled = toolsCalled
            self.previousSessions = previousSessions
            self.startedAt = startedAt
            self.traceParent = traceParent
            self.inheritedLines = inheritedLines
        }
    }

    /// The conversation now (loop thread; call between turns).
    package func snapshot() -> Snapshot {
        Snapshot(currentAgentID: currentAgentID, agentStates: agentStates,
                 history: history.map { Snapshot.Line(role: $0.role, agent: $0.agent, text: $0.text) },
                 turnNumber: turnNumber, agentsVisited: agentsVisited, toolsCalled: toolsCalled,
                 previousSessions: previousSessions, startedAt: startedAt, traceParent: tracing.traceparent(of: sessionSpan),
                 inheritedLines: inheritedLines)
    }

    /// Takes up a snapshot another host took (loop thread, before any turn). No `session` event:
    /// the client had it when the conversation began. An agent this host's tenant no longer has
    /// (a reload removed it) falls back to the entry agent, as a new session would start.
    /// `previousSessions` is not restored here: pass it to `init` (it is a `let`).
    package func resume(from snapshot: Snapshot) {
        currentAgentID = tenant.agents[snapshot.currentAgentID] != nil ? snapshot.currentAgentID : tenant.configuration.entryAgent
        agentStates = snapshot.agentStates
        history = snapshot.history.map { Message(role: $0.role, agent: $0.agent, text: $0.text) }
        turnNumber = snapshot.turnNumber
        agentsVisited = snapshot.agentsVisited
        toolsCalled = snapshot.toolsCalled
        startedAt = snapshot.startedAt
        inheritedLines = min(snapshot.inheritedLines, history.count)
        startSessionSpan(continuing: snapshot.traceParent)
    }
}
