import AgentHostPluginTesting
import XCTest

/// The Triage Agent through its built .so: greeting, routing to departments by their descriptors,
/// escalation, clarification, and a third-party department routable from its descriptor alone.
final class TriageTests: XCTestCase {
    func triage(extraTargets: [[String: Any]] = []) throws -> Conversation {
        try Conversation("Triage", agent: Departments.triageID,
                         targets: Departments.targets(["Billing", "Refund", "FAQ"]) + extraTargets)
    }

    func testTheDescriptorIsComplete() throws {
        let component = try XCTUnwrap(try Departments.harness("Triage").components.first)
        XCTAssertEqual(component.id, "com.agenthost.support.triage")
        XCTAssertEqual(component.displayName, "Triage Agent")
        for (product, id, name) in [("Billing", Departments.billingID, "Billing Agent"), ("Refund", Departments.refundID, "Refund Agent"),
                                    ("FAQ", Departments.faqID, "FAQ Agent")] {
            let department = try XCTUnwrap(try Departments.harness(product).components.first)
            XCTAssertEqual(department.id, id)
            XCTAssertEqual(department.displayName, name)
            XCTAssertTrue((40...80).contains(department.exampleUtterances.count), "\(name): \(department.exampleUtterances.count) examples")
        }
    }

    func testGreetsAtSessionStartAndWelcomesReturningCallers() async throws {
        let first = try await triage().say("")
        XCTAssertEqual(first.said, ["Hello, thanks for calling. How can I help you today?"])
        XCTAssertNil(first.handoffTarget)
        let conversation = try triage()
        conversation.returning = true
        let returning = try await conversation.say("")
        XCTAssertTrue(returning.text.hasPrefix("Welcome back"), returning.text)
    }

    func testRoutesTheSeedSentences() async throws {
        let billing = try await triage().say("I have a question about a charge on my account")
        XCTAssertEqual(billing.handoffTarget, Departments.billingID)
        XCTAssertFalse(billing.said.isEmpty, "a bridging sentence before the handoff")
        billing.assertSpeakable()
        let reason = billing.actions.lazy.compactMap { if case .handoff(_, let reason) = $0 { return reason } else { return nil } }.first ?? nil
        XCTAssertNotNil(reason?.wholeMatch(of: /Billing Agent: [01]\.\d\d routing confidence/), reason ?? "no reason")

        let refund = try await triage().say("I want to return an item and get my money back")
        XCTAssertEqual(refund.handoffTarget, Departments.refundID)

        let faq = try await triage().say("how long does shipping take to Canada")
        XCTAssertEqual(faq.handoffTarget, Departments.faqID)
    }

    func testAskingForAPersonEscalatesInTheSameStep() async throws {
        let step = try await triage().say("let me talk to a person")
        XCTAssertNil(step.handoffTarget)
        XCTAssertEqual(step.escalation?.department, "general")
        XCTAssertEqual(step.escalation?.reason, "caller asked for a person")
        XCTAssertFalse(step.said.isEmpty)
        let sayIndex = try XCTUnwrap(step.actions.firstIndex { if case .say = $0 { return true } else { return false } })
        let escalateIndex = try XCTUnwrap(step.actions.firstIndex { if case .escalate = $0 { return true } else { return false } })
        XCTAssertLessThan(sayIndex, escalateIndex, "acknowledge, then escalate")
    }

    func testAnUnclearOpenerGetsOneClarifyingQuestionThenRoutes() async throws {
        let conversation = try triage()
        let first = try await conversation.say("hey")
        XCTAssertNil(first.handoffTarget)
        XCTAssertNil(first.escalation)
        XCTAssertTrue(first.text.hasSuffix("?"), first.text)
        XCTAssertTrue(first.text.contains("billing") && first.text.contains("refund"), first.text)
        // Answering with a department word routes without asking again.
        let second = try await conversation.say("billing")
        XCTAssertEqual(second.handoffTarget, Departments.billingID)
    }

    func testASecondUnclearAnswerRoutesToTheBestDepartmentAnyway() async throws {
        let conversation = try triage()
        _ = try await conversation.say("I need some help")
        let second = try await conversation.say("it's about a thing I got from you")
        XCTAssertNotNil(second.handoffTarget, second.text)
        XCTAssertNil(second.escalation)
    }

    func testAThirdPartyDepartmentIsRoutableFromItsDescriptorAlone() async throws {
        let withWarranty = try await triage(extraTargets: [Departments.warranty]).say("my coffee grinder broke and I think the warranty should cover a repair")
        XCTAssertEqual(withWarranty.handoffTarget, "com.example.warranty", withWarranty.text)
        XCTAssertTrue(withWarranty.text.contains("Warranty Agent"), withWarranty.text)

        let billing = try await triage(extraTargets: [Departments.warranty]).say("I have a question about a charge on my account")
        XCTAssertEqual(billing.handoffTarget, Departments.billingID)

        let without = try await triage().say("my coffee grinder broke and I think the warranty should cover a repair")
        XCTAssertNotEqual(without.handoffTarget, "com.example.warranty")
    }

    func testHandedBackFromADepartmentRoutesElsewhere() async throws {
        let conversation = try triage()
        let step = try await conversation.say("I want a refund for my order", handedOffFrom: Departments.billingID)
        XCTAssertEqual(step.handoffTarget, Departments.refundID)
    }
}
