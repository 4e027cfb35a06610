import AgentHostPluginTesting
import XCTest

/// The Refund Agent through its built .so with a canned backend.
final class RefundTests: XCTestCase {
    var backend: CannedBackend!

    func refund() throws -> Conversation {
        backend = CannedBackend()
        return try Conversation("Refund", agent: Departments.refundID, targets: Departments.targets(["Triage", "Billing", "FAQ"]),
                                backend: backend)
    }

    func testAnEligibleOrderIsConfirmedThenRefunded() async throws {
        let conversation = try refund()
        let confirm = try await conversation.say("my desk arrived cracked, it's order 7 7 3 1 0", handedOffFrom: Departments.triageID)
        XCTAssertEqual(confirm.toolCalls.map(\.name), ["lookup_order"])
        XCTAssertEqual(confirm.toolCalls.first?.arguments["order_id"] as? String, "ORD-77310")
        XCTAssertTrue(confirm.text.contains("$349.00") && confirm.text.contains("damaged") && confirm.text.hasSuffix("Shall I go ahead?"),
                      confirm.text)
        XCTAssertFalse(backend.names().contains("process_refund"))

        let done = try await conversation.say("yes please")
        let call = try XCTUnwrap(done.toolCalls.first { $0.name == "process_refund" })
        XCTAssertEqual(call.arguments["order_id"] as? String, "ORD-77310")
        XCTAssertNotNil(call.arguments["reason"] as? String)
        XCTAssertNil(call.arguments["amount"], "a full refund needs no amount")
        XCTAssertTrue(done.text.contains("RF-000119") && done.text.contains("R F 0 0 0 1 1 9"), done.text)
        XCTAssertTrue(done.text.contains("5 business days"), done.text)
        done.assertSpeakable()
    }

    func testOneItemOfSeveralIsRefundedForItsPrice() async throws {
        let conversation = try refund()
        let confirm = try await conversation.say("the backpack from order ORD-12345 arrived broken", handedOffFrom: Departments.triageID)
        XCTAssertTrue(confirm.text.contains("Backpack") && confirm.text.contains("$89.99"), confirm.text)
        let done = try await conversation.say("sure")
        let call = try XCTUnwrap(done.toolCalls.first { $0.name == "process_refund" })
        XCTAssertEqual(call.arguments["amount"] as? Double, 89.99)
        XCTAssertTrue(done.text.contains("within 5 to 7 business days"), done.text)
    }

    func testANoThatNamesAnItemNarrowsTheRefund() async throws {
        let conversation = try refund()
        let whole = try await conversation.say("I need a refund for order ORD-12345, it arrived damaged", handedOffFrom: Departments.triageID)
        XCTAssertTrue(whole.text.contains("$128.99"), whole.text)
        let narrowed = try await conversation.say("no, just the bottles")
        XCTAssertTrue(narrowed.text.contains("Bottle") && narrowed.text.contains("$39.00"), narrowed.text)
        XCTAssertFalse(backend.names().contains("process_refund"))
        let done = try await conversation.say("yes")
        XCTAssertEqual(done.toolCalls.first { $0.name == "process_refund" }?.arguments["amount"] as? Double, 39)
    }

    /// A call continuing a lost one (the host's docs/scaling.md) greets at the Refund Agent with an
    /// empty input: the agent apologises, repeats its question, and takes the answer as before.
    func testACutOffCallIsPickedUpWhereItWas() async throws {
        let conversation = try refund()
        let asked = try await conversation.say("I want a refund", handedOffFrom: Departments.triageID)
        XCTAssertTrue(asked.text.contains("order number"), asked.text)
        let greeting = try await conversation.say("")
        XCTAssertEqual(greeting.text, "Sorry, we were cut off. " + asked.text)
        XCTAssertTrue(greeting.toolCalls.isEmpty && greeting.escalation == nil, "\(greeting.actions)")
        let answered = try await conversation.say("ORD-12345")
        XCTAssertEqual(answered.toolCalls.first?.arguments["order_id"] as? String, "ORD-12345", "the pending question stayed pending")
    }

    func testAsksForTheOrderAndTheReasonWhenMissing() async throws {
        let conversation = try refund()
        let first = try await conversation.say("I want a refund", handedOffFrom: Departments.triageID)
        XCTAssertTrue(first.text.contains("order number"), first.text)
        XCTAssertTrue(first.toolCalls.isEmpty)
        let second = try await conversation.say("it's oh are dee seven seven three one oh")
        XCTAssertEqual(second.toolCalls.first?.arguments["order_id"] as? String, "ORD-77310")
        XCTAssertTrue(second.text.contains("what went wrong"), second.text)
        let third = try await conversation.say("it's just too big for my room")
        XCTAssertTrue(third.text.contains("$349.00") && third.text.contains("Shall I go ahead?"), third.text)
    }

    func testNoMeansNoRefund() async throws {
        let conversation = try refund()
        try await conversation.say("refund order ORD-77310, it doesn't work", handedOffFrom: Departments.triageID)
        let declined = try await conversation.say("no, don't")
        XCTAssertFalse(backend.names().contains("process_refund"))
        XCTAssertTrue(declined.text.contains("won't"), declined.text)
    }

    func testAnOrderOutsideTheWindowIsRefusedAndADisputeEscalates() async throws {
        let conversation = try refund()
        let refusal = try await conversation.say("I want a refund for order ORD-45045, the blender is broken", handedOffFrom: Departments.triageID)
        XCTAssertTrue(refusal.text.contains("45 days") && refusal.text.contains("30 days"), refusal.text)
        XCTAssertNil(refusal.escalation)
        XCTAssertFalse(backend.names().contains("process_refund"))
        let dispute = try await conversation.say("that's not fair, it only broke last week")
        XCTAssertEqual(dispute.escalation?.department, "refunds")
        XCTAssertEqual(dispute.escalation?.reason, "disputed refusal")
    }

    func testAcceptingARefusalDoesNotEscalate() async throws {
        let conversation = try refund()
        try await conversation.say("refund ORD-45045 please", handedOffFrom: Departments.triageID)
        let accepted = try await conversation.say("okay I understand")
        XCTAssertNil(accepted.escalation)
    }

    func testAnAlreadyRefundedOrderIsRefusedWithTheRefund() async throws {
        let conversation = try refund()
        let step = try await conversation.say("I need a refund for order 22222, the lamp flickers", handedOffFrom: Departments.triageID)
        XCTAssertTrue(step.text.contains("already refunded") && step.text.contains("RF-000118") && step.text.contains("May 3"), step.text)
        XCTAssertFalse(backend.names().contains("process_refund"))
    }

    func testASecondRefundOfTheSameOrderIsRefused() async throws {
        let conversation = try refund()
        try await conversation.say("order ORD-77310 arrived damaged, I want my money back", handedOffFrom: Departments.triageID)
        try await conversation.say("yes")
        let again = try await conversation.say("can you refund order ORD-77310 again")
        XCTAssertTrue(again.text.contains("already refunded") && again.text.contains("RF-000119"), again.text)
        XCTAssertEqual(backend.names().filter { $0 == "process_refund" }.count, 1)
    }

    func testARefusalFromTheBackendIsExplained() async throws {
        let conversation = try refund()
        try await conversation.say("order ORD-77310 arrived damaged, I want my money back", handedOffFrom: Departments.triageID)
        _ = backend.processRefund(["order_id": "ORD-77310"])  // refunded elsewhere in the meantime
        let refused = try await conversation.say("yes go ahead")
        XCTAssertTrue(refused.text.contains("already been refunded"), refused.text)
        XCTAssertNil(refused.escalation)
    }

    func testAnUndeliveredOrderIsExplained() async throws {
        let conversation = try refund()
        let step = try await conversation.say("I want to return order ORD-31337", handedOffFrom: Departments.triageID)
        XCTAssertTrue(step.text.contains("can't refund") || step.text.contains("hasn't"), step.text)
        XCTAssertFalse(backend.names().contains("process_refund"))
    }

    func testAnUnknownOrderAndABackendFailure() async throws {
        let conversation = try refund()
        let unknown = try await conversation.say("refund order ORD-99999", handedOffFrom: Departments.triageID)
        XCTAssertTrue(unknown.text.contains("couldn't find"), unknown.text)
        backend.down = true
        let failed = try await conversation.say("sorry, it's ORD-12345")
        XCTAssertTrue(failed.text.contains("sorry"), failed.text)
        XCTAssertNil(failed.escalation)
        let accepted = try await conversation.say("yes")
        XCTAssertEqual(accepted.escalation?.department, "refunds")
    }
}
