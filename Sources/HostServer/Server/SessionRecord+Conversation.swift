import Foundation
import HostOrchestration
import HostSessions

extension SessionRecord.Interaction {
    /// What a conversation knew when it ended (docs/protocol.md §4). Call on the conversation's loop
    /// thread (its state is loop-confined); `outcome` defaults to its end reason.
    /// The transcript is redacted with the tenant's `redact:` kinds (docs/telephony.md) — there,
    /// so not for the server's hot path (it redacts off the loop: HostServer.sessionEnded).
    public init(_ conversation: Conversation, outcome: String? = nil, endedAt: Date = Date()) {
        // One place builds (and redacts) what a conversation leaves behind: CompletedSession.
        self.init(CompletedSession(conversation, outcome: outcome ?? conversation.ended ?? SessionRecord.Outcome.error, endedAt: endedAt))
    }

    /// A finished session as its record's interaction (what the Redis store saves), redacted.
    package init(_ session: CompletedSession) {
        let session = session.redacted()
        self.init(sessionID: session.sessionID, startedAt: session.startedAt, endedAt: session.endedAt,
                  agents: session.agents, tools: session.tools, outcome: session.outcome,
                  transcript: session.transcript.map { SessionRecord.Line(role: $0.role, agent: $0.agent, text: $0.text) })
        recording = session.recording
    }
}
