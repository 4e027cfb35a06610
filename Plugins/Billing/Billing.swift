// The Billing Agent: verifies the caller (customer number, then the last four digits of the card
// on file) before reading anything from the account, then answers balance, invoice and charge
// questions and sets up payment plans. Disputes go to a billing specialist.
import AgentHostSDK
import SupportKit

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([BillingAgent.self])
}

struct BillingAgent: Agent {
    static let id = "com.agenthost.support.billing"
    static let displayName = "Billing Agent"
    static let version = "1.0.0"
    static let description = "Answers questions about the caller's balance, invoices and charges, and sets up payment plans, after verifying the caller."

    /// Scope classifiers against the other agents, one per handoff-target set (trained off the session thread).
    let cache = ClassifierCache()
    /// Read here, on the host's main thread, so no step trains it on the session thread (trained
    /// once per process: the first tenant's instance trains it, the others share it).
    let topics = BillingTopic.classifier

    init(host: PluginHost, settings: PluginSettings) {}

    func respond(to turn: Turn, with actions: AgentActions) async throws {
        if CutOffCall.resume(turn, agentName: Self.displayName, actions: actions, as: BillingConversation.self) { return }
        var conversation = BillingConversation(turn: turn, actions: actions, cache: cache, topics: topics)
        await conversation.run()
        actions.setState(conversation.state.json)
    }
}
