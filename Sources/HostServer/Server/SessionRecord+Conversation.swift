import Foundation
import HostOrchestration
import HostSessions

extension SessionRecord.Interaction {
    /// What a conversation knew when it ended (docs/protocol.md §4). Call on the conversation's loop
    /// thread (its state is loop-confined); `outcome` defaults to its end reason.
    /// The transcript is redacted with the tenant's `redact:` kinds (docs/telephony.md).
    public init(_ conversation: Conversation, outcome: String? = nil, endedAt: Date = Date()) {
        let redaction = conversation.tenant.configuration.telephony.redaction
        self.init(sessionID: conversation.id,
                  startedAt: conversation.startedAt,
                  endedAt: endedAt,
                  agents: conversation.agentsVisited,
                  tools: conversation.toolsCalled,
                  outcome: outcome ?? conversation.ended ?? SessionRecord.Outcome.error,
                  transcript: conversation.history.map { SessionRecord.Line(role: $0.role, agent: $0.agent, text: redaction.apply($0.text)) })
    }
}
