import AgentHostPluginTesting
import XCTest

/// The FAQ Agent through its built .so with a canned search.
final class FAQTests: XCTestCase {
    var backend: CannedBackend!

    func faq() throws -> Conversation {
        backend = CannedBackend()
        return try Conversation("FAQ", agent: Departments.faqID, targets: Departments.targets(["Triage", "Billing", "Refund"]),
                                backend: backend)
    }

    func testAnswersFromTheHelpCenterAndCitesTheArticle() async throws {
        let step = try await faq().say("how long does shipping take", handedOffFrom: Departments.triageID)
        let call = try XCTUnwrap(step.toolCalls.first)
        XCTAssertEqual(call.name, "search_faq")
        XCTAssertEqual(call.arguments["query"] as? String, "how long does shipping take")
        XCTAssertEqual(call.arguments["top_k"] as? Int, 3)
        XCTAssertTrue(step.text.contains("help article on shipping times") && step.text.contains("shipping-times"), step.text)
        XCTAssertTrue(step.text.contains("3 to 5 business days"), step.text)
        XCTAssertNil(step.handoffTarget)
        step.assertSpeakable()
    }

    func testNoMatchOffersAPersonAndEscalatesOnYes() async throws {
        let conversation = try faq()
        let none = try await conversation.say("do you repair bicycles", handedOffFrom: Departments.triageID)
        XCTAssertTrue(none.text.contains("couldn't find") && none.text.hasSuffix("?"), none.text)
        XCTAssertNil(none.escalation)
        let yes = try await conversation.say("yes please")
        XCTAssertEqual(yes.escalation?.department, "general")
    }

    func testNoMatchDeclinedDoesNotEscalate() async throws {
        let conversation = try faq()
        try await conversation.say("do you repair bicycles", handedOffFrom: Departments.triageID)
        let no = try await conversation.say("no thanks")
        XCTAssertNil(no.escalation)
    }

    func testALooseSearchHitIsNotPassedOffAsAnAnswer() async throws {
        // The search matches "gift" but the article is about buying gift cards, not wrapping.
        let step = try await faq().say("can you gift wrap a chair for my grandmother", handedOffFrom: Departments.triageID)
        XCTAssertTrue(step.text.contains("couldn't find"), step.text)
    }

    func testAnAccountQuestionGoesBackToTriage() async throws {
        let conversation = try faq()
        try await conversation.say("is the backpack waterproof", handedOffFrom: Departments.triageID)
        let step = try await conversation.say("what's my account balance")
        XCTAssertEqual(step.handoffTarget, Departments.triageID)
        XCTAssertFalse(step.toolCalls.contains { $0.name == "search_faq" })
    }

    func testAnAccountQuestionSentHereByMistakeGoesBackToTriage() async throws {
        let step = try await faq().say("why is my bill so high this month", handedOffFrom: Departments.triageID)
        XCTAssertEqual(step.handoffTarget, Departments.triageID, step.text)
    }

    func testASearchFailureApologisesAndOffersAPerson() async throws {
        let conversation = try faq()
        backend.down = true
        let step = try await conversation.say("what are your store hours", handedOffFrom: Departments.triageID)
        XCTAssertTrue(step.text.contains("sorry") && step.text.hasSuffix("?"), step.text)
        XCTAssertNil(step.escalation)
    }
}
