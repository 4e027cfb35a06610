// The Refund Agent: looks the order up, applies the refund policy (30 days from delivery, one
// refund per order, delivered orders only), confirms the amount and reason with the caller and
// only then issues the refund. Disputed refusals go to the refunds team.
import AgentHostSDK
import SupportKit

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([RefundAgent.self])
}

struct RefundAgent: Agent {
    static let id = "com.agenthost.support.refund"
    static let displayName = "Refund Agent"
    static let version = "1.0.0"
    static let description = "Handles returns and refunds for orders: checks eligibility, confirms with the caller and issues the refund."

    /// The refund window, in days from delivery.
    static let windowDays = 30

    /// Scope classifiers, one per handoff-target set (trained off the session thread).
    let cache = ClassifierCache()
    /// Read here, on the host's main thread, so no step trains them on the session thread (trained
    /// once per process: the first tenant's instance trains them, the others share them).
    let reasons = RefundReason.classifier
    let refusals = RefusalResponse.classifier

    init(host: PluginHost, settings: PluginSettings) {}

    func respond(to turn: Turn, with actions: AgentActions) async throws {
        if CutOffCall.resume(turn, agentName: Self.displayName, actions: actions, as: RefundConversation.self) { return }
        var conversation = RefundConversation(turn: turn, actions: actions, cache: cache,
                                              reasons: reasons, refusals: refusals)
        await conversation.run()
        actions.setState(conversation.state.json)
    }
}
