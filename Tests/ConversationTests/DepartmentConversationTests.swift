import Foundation
import Host
import HostTestSupport
import TestSupport
import XCTest

/// Whole conversations through the real department plugins, the real commerce tools and a real
/// `support-backend` process (started by LocalDeployment on a free port with fresh data).
final class DepartmentConversationTests: XCTestCase {
    nonisolated(unsafe) static var deployment: LocalDeployment!

    override class func setUp() {
        do {
            deployment = try LocalDeployment(pluginDirectories: [BuildProducts.directory])
        } catch {
            XCTFail("could not start the reference deployment: \(error)")
        }
    }

    override class func tearDown() {
        deployment?.shutdown()
    }

    var deployment: LocalDeployment { Self.deployment }

    // MARK: the seed's three

    func testAQuestionAboutAChargeEndsOnBilling() {
        let turn = Caller(deployment).say("I have a question about a charge on my account")
        XCTAssertEqual(turn.handoffs, ["Billing Agent"], turn.json)
        XCTAssertEqual(turn.endedOn, "Billing Agent", turn.json)
    }

    func testReturningAnItemEndsOnRefund() {
        let turn = Caller(deployment).say("I want to return an item and get my money back")
        XCTAssertEqual(turn.endedOn, "Refund Agent", turn.json)
    }

    func testARefundForAnOrderLooksTheOrderUpAndSpeaksOfTheRefund() {
        let turn = Caller(deployment).say("I need a refund for order ORD-12345")
        XCTAssertEqual(turn.endedOn, "Refund Agent", turn.json)
        XCTAssertTrue(turn.toolsCalled.contains("lookup_order"), turn.json)
        XCTAssertTrue(turn.toolArguments("lookup_order")?.contains("ORD-12345") ?? false, turn.json)
        XCTAssertTrue(turn.reply.lowercased().contains("refund"), turn.reply)
    }

    // MARK: a full conversation per department

    func testBillingVerifiesTheCallerThenReadsTheBalanceBack() {
        let caller = Caller(deployment)
        let opener = caller.say("what's my account balance")
        XCTAssertEqual(opener.endedOn, "Billing Agent", opener.json)
        XCTAssertFalse(opener.toolsCalled.contains("check_billing"), "nothing is read before the caller is identified")
        let identified = caller.say("my customer number is CUST-1001")
        XCTAssertFalse(identified.reply.contains("34.49"), "no balance before verification: \(identified.reply)")
        let verified = caller.say("four two four two")
        XCTAssertTrue(verified.reply.contains("34.49"), verified.json)
    }

    func testAnEligibleRefundIsApprovedWithAnIdAndATimeline() {
        let caller = Caller(deployment)
        _ = caller.say("I need a refund for order ORD-77310")
        let reason = caller.say("it arrived damaged")
        let confirmed = reason.toolsCalled.contains("process_refund") ? reason : caller.say("yes please")
        XCTAssertTrue(confirmed.toolsCalled.contains("process_refund"), confirmed.json)
        XCTAssertNotNil(confirmed.reply.range(of: #"RF-\d+"#, options: .regularExpression), confirmed.reply)
        XCTAssertTrue(confirmed.reply.contains("business days"), confirmed.reply)
    }

    func testAnOrderDelivered45DaysAgoIsRefusedAndADisputeEscalates() {
        let caller = Caller(deployment)
        let refused = caller.say("I want a refund for order ORD-45045")
        XCTAssertTrue(refused.reply.contains("30"), refused.reply)
        XCTAssertFalse(refused.toolsCalled.contains("process_refund"), refused.json)
        let dispute = caller.say("that's not fair, it broke after a week of use")
        XCTAssertNotNil(dispute.escalation, dispute.json)
        XCTAssertEqual(dispute.ended, "escalated", dispute.json)
    }

    func testARefusalAskedForAgainIsAcknowledgedNotRepeatedAndOffersAPerson() {
        let caller = Caller(deployment)
        let first = caller.say("I want a refund for order ORD-45045")
        XCTAssertTrue(first.reply.contains("45 days"), first.reply)
        let second = caller.say("I want a refund for order ORD-45045")
        XCTAssertNotEqual(second.reply, first.reply, "the refusal is not read out again word for word")
        XCTAssertTrue(second.reply.contains("still the same") && second.reply.contains("45 days"), "acknowledged, still says why: \(second.reply)")
        XCTAssertTrue(second.reply.contains("person") && second.reply.contains("FAQ") && second.reply.hasSuffix("?"), "offers the next step: \(second.reply)")
        XCTAssertNil(second.escalation, second.json)
        let third = caller.say("can I get a refund for it")
        XCTAssertFalse([first.reply, second.reply].contains(third.reply), third.reply)
        XCTAssertTrue(third.reply.contains("person") && third.reply.hasSuffix("?"), third.reply)
        let yes = caller.say("yes")
        XCTAssertEqual(yes.escalation?.department, "refunds", yes.json)
        XCTAssertEqual(yes.ended, "escalated", yes.json)
    }

    func testAfterARepeatedRefusalThePolicyQuestionReachesFAQAndAFourthAskReachesAPerson() {
        let caller = Caller(deployment)
        _ = caller.say("I want a refund for order ORD-45045")
        _ = caller.say("refund order ORD-45045 please")
        let policy = caller.say("what is your return policy")
        XCTAssertEqual(policy.endedOn, "FAQ Agent", policy.json)
        XCTAssertTrue(policy.reply.contains("returns-policy"), policy.reply)

        let insistent = Caller(deployment)
        var replies: [String] = []
        for _ in 0..<3 { replies.append(insistent.say("I want a refund for order ORD-45045").reply) }
        XCTAssertEqual(Set(replies).count, 3, "three different answers: \(replies)")
        let fourth = insistent.say("I want a refund for order ORD-45045")
        XCTAssertEqual(fourth.escalation?.department, "refunds", fourth.json)
        XCTAssertEqual(fourth.ended, "escalated", fourth.json)
    }

    func testASecondRefundOfTheSameOrderIsRefused() {
        let first = Caller(deployment)
        _ = first.say("I need a refund for order ORD-12345")
        _ = first.say("the mug arrived cracked")
        let done = first.say("yes")
        XCTAssertTrue(done.toolsCalled.contains("process_refund") || done.reply.contains("RF-"), done.json)

        let second = Caller(deployment)
        let again = second.say("I need a refund for order ORD-12345")
        XCTAssertTrue(again.reply.lowercased().contains("already"), again.reply)
        XCTAssertFalse(again.toolsCalled.contains("process_refund"), again.json)
    }

    func testTheFAQAnswerCitesItsEntry() {
        let turn = Caller(deployment).say("how long does shipping take")
        XCTAssertEqual(turn.endedOn, "FAQ Agent", turn.json)
        XCTAssertTrue(turn.toolsCalled.contains("search_faq"), turn.json)
        XCTAssertTrue(turn.reply.lowercased().contains("shipping"), turn.reply)
        XCTAssertTrue(turn.reply.contains("faq-shipping-times") || turn.reply.lowercased().contains("article"), "cites the entry: \(turn.reply)")
    }

    func testFAQSendsAnAccountQuestionBackThroughTriageToBilling() {
        let caller = Caller(deployment)
        XCTAssertEqual(caller.say("do you ship to canada").endedOn, "FAQ Agent")
        let account = caller.say("why was I charged twice on my card this month")
        XCTAssertEqual(account.handoffs, ["Triage Agent", "Billing Agent"], account.json)
        XCTAssertEqual(account.endedOn, "Billing Agent")
    }

    // MARK: a policy question is FAQ's; a refund request is Refund's

    func testTheReturnPolicyQuestionIsAnsweredByFAQFromItsArticle() {
        let turn = Caller(deployment).say("what is your return policy")
        XCTAssertEqual(turn.handoffs, ["FAQ Agent"], turn.json)
        XCTAssertEqual(turn.endedOn, "FAQ Agent", turn.json)
        XCTAssertTrue(turn.toolsCalled.contains("search_faq"), turn.json)
        XCTAssertFalse(turn.toolsCalled.contains("lookup_order"), turn.json)
        XCTAssertTrue(turn.reply.contains("returns-policy") && turn.reply.contains("30 days"), "cites the policy article: \(turn.reply)")
    }

    func testThePolicyQuestionAskedInFAQStaysThere() {
        let caller = Caller(deployment)
        XCTAssertEqual(caller.say("do you ship to canada").endedOn, "FAQ Agent")
        let policy = caller.say("what is your return policy")
        XCTAssertEqual(policy.handoffs, [], "no bounce through Triage to Refund: \(policy.json)")
        XCTAssertEqual(policy.endedOn, "FAQ Agent", policy.json)
        XCTAssertTrue(policy.reply.contains("returns-policy"), policy.reply)
    }

    func testARefundRequestAfterThePolicyAnswerReachesRefund() {
        let caller = Caller(deployment)
        XCTAssertEqual(caller.say("what is your return policy").endedOn, "FAQ Agent")
        let request = caller.say("I want a refund for order ORD-77310")
        XCTAssertEqual(request.handoffs, ["Triage Agent", "Refund Agent"], request.json)
        XCTAssertEqual(request.endedOn, "Refund Agent", request.json)
        XCTAssertTrue(request.toolArguments("lookup_order")?.contains("ORD-77310") ?? false, request.json)
    }

    func testAskingForAPersonEscalatesInTheSameTurn() {
        let turn = Caller(deployment).say("let me talk to a person")
        let escalation = turn.escalation
        XCTAssertNotNil(escalation, turn.json)
        XCTAssertGreaterThan(escalation?.position ?? 0, 0)
        XCTAssertEqual(turn.ended, "escalated")
    }

    func testAnUnclearOpenerGetsAClarifyingQuestionAndNoHandoff() {
        let turn = Caller(deployment).say("hello")
        XCTAssertEqual(turn.handoffs, [], turn.json)
        XCTAssertEqual(turn.endedOn, "Triage Agent")
        XCTAssertTrue(turn.reply.contains("?"), turn.reply)
    }
}
