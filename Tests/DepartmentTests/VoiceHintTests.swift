import AgentHostPluginTesting
import XCTest

/// The departments tell the host what a question expects through "agent_host.voice-hint.draft/0"
/// (recorded by the harness as a step action), and no longer in their state.
final class VoiceHintTests: XCTestCase {
    func testRefundAsksForAnOrderIDThenAYesOrNo() async throws {
        let conversation = try Conversation("Refund", agent: Departments.refundID, targets: Departments.targets(["Triage", "Billing", "FAQ"]),
                                            backend: CannedBackend())
        let first = try await conversation.say("I want a refund", handedOffFrom: Departments.triageID)
        XCTAssertTrue(first.text.contains("order number"), first.text)
        XCTAssertEqual(first.expected?.kind, "order_id")
        XCTAssertFalse(first.actions.contains { if case .setState(let json) = $0 { json.contains("\"expect\"") } else { false } },
                       "the hint is not in the state any more")
        let reason = try await conversation.say("it's oh are dee seven seven three one oh")
        XCTAssertTrue(reason.text.contains("what went wrong"), reason.text)
        XCTAssertEqual(reason.expected?.kind, "text", "an open question says so")
        let confirm = try await conversation.say("it arrived damaged")
        XCTAssertTrue(confirm.text.hasSuffix("Shall I go ahead?"), confirm.text)
        XCTAssertEqual(confirm.expected?.kind, "yes_no")
    }

    func testBillingAsksForTheLastFourDigits() async throws {
        let conversation = try Conversation("Billing", agent: Departments.billingID, targets: Departments.targets(["Triage", "Refund", "FAQ"]),
                                            backend: CannedBackend())
        _ = try await conversation.say("what's my account balance", handedOffFrom: Departments.triageID)
        let second = try await conversation.say("it's customer number one zero zero one")
        XCTAssertTrue(second.text.contains("last four digits"), second.text)
        XCTAssertEqual(second.expected?.kind, "digits")
    }
}
