import AgentHostPluginTesting
import XCTest

/// The Billing Agent through its built .so with a canned backend.
final class BillingTests: XCTestCase {
    var backend: CannedBackend!

    func billing() throws -> Conversation {
        backend = CannedBackend()
        return try Conversation("Billing", agent: Departments.billingID, targets: Departments.targets(["Triage", "Refund", "FAQ"]),
                                backend: backend)
    }

    func testReadsTheBalanceOnlyAfterTheCardCheck() async throws {
        let conversation = try billing()
        let first = try await conversation.say("what's my account balance", handedOffFrom: Departments.triageID)
        XCTAssertTrue(first.text.contains("customer number"), first.text)
        XCTAssertTrue(first.toolCalls.isEmpty)

        let second = try await conversation.say("it's customer number one zero zero one")
        XCTAssertEqual(second.toolCalls.first?.name, "check_billing")
        XCTAssertEqual(second.toolCalls.first?.arguments["customer_id"] as? String, "CUST-1001")
        XCTAssertTrue(second.text.contains("last four digits"), second.text)
        XCTAssertFalse(second.text.contains("$"), "nothing from the account before verification: \(second.text)")
        XCTAssertFalse(second.text.contains("4242"), "never reads the card digits")

        let third = try await conversation.say("four two four two")
        XCTAssertTrue(third.text.contains("$34.49"), third.text)
        XCTAssertTrue(third.text.hasSuffix("?"), third.text)
        third.assertSpeakable()
    }

    func testTwoFailedVerificationsEscalateToBilling() async throws {
        let conversation = try billing()
        try await conversation.say("how much do I owe", handedOffFrom: Departments.triageID)
        try await conversation.say("CUST-1001")
        let wrong = try await conversation.say("1234")
        XCTAssertNil(wrong.escalation)
        XCTAssertFalse(wrong.text.contains("$"), wrong.text)
        let again = try await conversation.say("5678")
        XCTAssertEqual(again.escalation?.department, "billing")
        XCTAssertFalse(again.text.contains("$"), again.text)
    }

    func testAnswersTheOriginalQuestionAfterVerification() async throws {
        let conversation = try billing()
        try await conversation.say("can you read me my recent invoices", handedOffFrom: Departments.triageID)
        try await conversation.say("my customer ID is C U S T 1 0 0 1")
        let answer = try await conversation.say("the last four are 4242")
        XCTAssertTrue(answer.text.contains("May 14") && answer.text.contains("$34.49"), answer.text)
        XCTAssertTrue(answer.text.contains("March 15"), answer.text)
    }

    func testSetsUpAPaymentPlanAfterConfirmingTheMonthlyAmount() async throws {
        let conversation = try billing()
        try await conversation.say("I'd like to set up a payment plan", handedOffFrom: Departments.triageID)
        try await conversation.say("CUST-1001")
        let verified = try await conversation.say("4242")
        XCTAssertTrue(verified.text.contains("How many months"), verified.text)
        let quote = try await conversation.say("three months please")
        XCTAssertTrue(quote.text.contains("$11.50") && quote.text.contains("Shall I set it up?"), quote.text)
        XCTAssertFalse(backend.names().contains("create_payment_plan"), "nothing created before the caller agrees")
        let done = try await conversation.say("yes go ahead")
        let call = try XCTUnwrap(done.toolCalls.first { $0.name == "create_payment_plan" })
        XCTAssertEqual(call.arguments["customer_id"] as? String, "CUST-1001")
        XCTAssertEqual(call.arguments["months"] as? Int, 3)
        XCTAssertTrue(done.text.contains("PP-000008") && done.text.contains("$11.50") && done.text.contains("June 1"), done.text)
    }

    func testAPlanRequestWithMonthsOutOfRangeAsksAgain() async throws {
        let conversation = try billing()
        try await conversation.say("can I pay my balance over 18 months", handedOffFrom: Departments.triageID)
        try await conversation.say("CUST-1001")
        let verified = try await conversation.say("4242")
        XCTAssertTrue(verified.text.contains("2 to 12"), verified.text)
        let quote = try await conversation.say("six")
        XCTAssertTrue(quote.text.contains("6 monthly payments of $5.75"), quote.text)
        let declined = try await conversation.say("no thanks")
        XCTAssertFalse(backend.names().contains("create_payment_plan"))
        XCTAssertTrue(declined.text.contains("won't"), declined.text)
    }

    func testADuplicateLookingChargeGoesToABillingSpecialist() async throws {
        let conversation = try billing()
        try await conversation.say("why was my card charged twice", handedOffFrom: Departments.triageID)
        try await conversation.say("customer 1002")
        let answer = try await conversation.say("5100")
        XCTAssertEqual(answer.escalation?.department, "billing", answer.text)
        XCTAssertTrue(answer.text.contains("$349.00"), answer.text)
    }

    func testDisputesEscalate() async throws {
        let conversation = try billing()
        let step = try await conversation.say("this late fee is wrong and I want it removed from my bill", handedOffFrom: Departments.triageID)
        XCTAssertEqual(step.escalation?.department, "billing")
    }

    func testANonBillingRequestGoesBackToTriage() async throws {
        let conversation = try billing()
        try await conversation.say("what's my balance", handedOffFrom: Departments.triageID)
        let step = try await conversation.say("actually I want to return an item I bought and get a refund")
        XCTAssertEqual(step.handoffTarget, Departments.triageID)
        XCTAssertNil(step.escalation)
    }

    func testABackendFailureBecomesAnApologyAndAnOffer() async throws {
        let conversation = try billing()
        backend.down = true
        try await conversation.say("what's my balance", handedOffFrom: Departments.triageID)
        let failed = try await conversation.say("CUST-1001")
        XCTAssertTrue(failed.text.contains("sorry"), failed.text)
        XCTAssertNil(failed.escalation)
        let accepted = try await conversation.say("yes please")
        XCTAssertEqual(accepted.escalation?.department, "billing")
    }

    func testAnUnknownCustomerNumberIsAskedAgain() async throws {
        let conversation = try billing()
        try await conversation.say("what's my balance", handedOffFrom: Departments.triageID)
        let step = try await conversation.say("CUST-9999")
        XCTAssertTrue(step.text.contains("couldn't find"), step.text)
        XCTAssertTrue(step.text.contains("C U S T 9 9 9 9"), step.text)
    }
}
