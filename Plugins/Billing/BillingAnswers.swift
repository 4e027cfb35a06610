import AgentHostSDK
import SupportKit

/// The verified caller's answers: balance, invoices, charges, payment plans.
extension BillingConversation {
    mutating func answer(_ account: BillingAccount, prefix: String) async {
        let topic = state.string("topic").flatMap(BillingTopic.init(rawValue:))
        switch topic {
        case .balance:
            let overdue = (account.invoices ?? []).contains { $0.status == "overdue" }
            if overdue, account.paymentPlan == nil {
                ask(prefix + account.balanceSentence() + " Would you like to set up a payment plan for it?", awaiting: .planOffer)
            } else {
                ask(prefix + account.balanceSentence() + " Is there anything else I can help with?", awaiting: .anythingElse)
            }
        case .invoices:
            ask(prefix + account.invoicesSentence() + " Is there anything else I can help with?", awaiting: .anythingElse)
        case .charges:
            if let (first, second) = account.duplicateCharges() {
                escalate(prefix + "I can see two charges of \(account.money(first.amount)), on \(Speech.date(first.date)) and \(Speech.date(second.date)), so I'll connect you with a billing specialist to review the duplicate.",
                         reason: "possible duplicate charge \(first.chargeId) / \(second.chargeId)")
            } else {
                ask(prefix + account.chargesSentence() + " Is there one you don't recognize?", awaiting: .chargesCheck)
            }
        case .plan:
            await paymentPlan(account, prefix: prefix)
        case .dispute, .accountChange, nil:
            ask(prefix + "What would you like to know: your balance, your invoices, recent charges, or a payment plan?", awaiting: nil)
        }
    }

    mutating func paymentPlan(_ account: BillingAccount, prefix: String) async {
        if let plan = account.paymentPlan {
            state.remove("topic", "months")
            return ask(prefix + "You already have a \(plan.months)-month payment plan of \(account.money(plan.monthlyAmount)) a month. Is there anything else I can help with?",
                       awaiting: .anythingElse)
        }
        guard account.balance > 0.004 else {
            state.remove("topic", "months")
            return ask(prefix + "You don't have a balance to spread out right now. Is there anything else I can help with?", awaiting: .anythingElse)
        }
        var changedMonths = false
        if awaiting != .months, let said = Slots.months(in: text), said != state.int("months") {
            state.set("months", said)
            changedMonths = true
        }
        guard let months = state.int("months") else {
            return ask(prefix + "I can spread your balance of \(account.money(account.balance)) over 2 to 12 monthly payments. How many months would you like?",
                       awaiting: .months)
        }
        guard (2...12).contains(months) else {
            state.remove("months")
            return ask("Payment plans run from 2 to 12 months. How many months would you like?", awaiting: .months)
        }
        if awaiting == .planConfirm, !changedMonths, let answer = Affirmation.detect(in: text) {
            guard answer == .yes else {
                state.remove("topic", "months")
                return ask("Okay, I won't set up a plan. Is there anything else I can help with?", awaiting: .anythingElse)
            }
            return await createPlan(account, months: months)
        }
        let monthly = account.monthlyAmount(months: months)
        ask(prefix + "That would be \(months) monthly payments of \(account.money(monthly)) for your balance of \(account.money(account.balance)). Shall I set it up?",
            awaiting: .planConfirm)
    }

    struct CreatedPlan: Decodable, Sendable {
        let planId: String
        let months: Int
        let monthlyAmount: Double
        let firstPaymentDate: String?
    }

    mutating func createPlan(_ account: BillingAccount, months: Int) async {
        let result = await actions.callTool("create_payment_plan", arguments: [
            "customer_id": .string(account.customerId), "months": .number(Double(months)),
        ])
        state.remove("topic", "months")
        switch ToolAnswer.decode(CreatedPlan.self, from: result) {
        case .success(let plan):
            let start = plan.firstPaymentDate.map { ", starting \(Speech.date($0))" } ?? ""
            ask("Done. Your payment plan \(plan.planId) is set up: \(plan.months) payments of \(account.money(plan.monthlyAmount))\(start). Is there anything else I can help with?",
                awaiting: .anythingElse)
        case .refused(let refusal):
            ask("I'm sorry, I couldn't set up the plan. \(refusal.reason) Is there anything else I can help with?", awaiting: .anythingElse)
        case .notFound, .failed:
            ask("I'm sorry, I couldn't set up the plan because our billing system isn't responding. Would you like me to connect you with a person?",
                awaiting: .offerHuman)
        }
    }
}
