import AgentHostSDK
import SupportKit

/// Looking the order up, the refund policy, and issuing the refund.
extension RefundConversation {
    mutating func lookup(_ orderID: String) async -> Order? {
        let result = await actions.callTool("lookup_order", arguments: ["order_id": .string(orderID)])
        switch ToolAnswer.decode(Order.self, from: result) {
        case .success(let order):
            return order
        case .notFound:
            state.remove("order_id")
            ask("I couldn't find \(Speech.order(orderID)). Could you check the order number and tell me again?", awaiting: .orderID)
        case .refused(let refusal):
            ask("I'm sorry, I can't open that order right now. \(refusal.reason) Would you like me to connect you with a person?", awaiting: .offerHuman)
        case .failed:
            ask("I'm sorry, I can't reach our order system right now. Would you like me to connect you with a person?", awaiting: .offerHuman)
        }
        return nil
    }

    /// Already refunded, not delivered, or outside the window: says why and remembers the refusal.
    /// The same refusal asked for again is not read out again word for word: it is acknowledged as
    /// unchanged and the next step is offered (a person to review it, or the policy from FAQ); asked
    /// a fourth time, the caller is put through to a person.
    /// False when the order is eligible.
    mutating func refuseByPolicy(_ order: Order) -> Bool {
        guard let (code, fact, reply) = Self.refusal(of: order) else { return false }
        let key = "\(order.number) \(code)"
        let times = state.string("refusal") == key ? (state.int("refusal_count") ?? 1) + 1 : 1
        state.remove("reason", "reason_detail", "amount", "partial")
        state.set("refused", code)
        state.set("refusal", key)
        state.set("refusal_count", times)
        switch times {
        case 1:
            ask(reply + " Is there anything else I can help with?", awaiting: .anythingElse)
        case 2:
            ask("I'm sorry, my answer is still the same: \(fact). I can't make an exception myself, but someone on our refunds team can review it, or I can pass you to our FAQ for the return policy. Would you like a person to review it?",
                awaiting: .offerReview)
        case 3:
            ask("I know that's not the answer you were hoping for. \(fact.capitalizedFirst), and that hasn't changed since you asked. A person on our refunds team can take a look. Shall I connect you?",
                awaiting: .offerReview)
        default:
            // Asked a fourth time: a person is the only next step left, so take it.
            escalate("I can't change this answer myself, so I'll connect you with our refunds team and a person can review it with you.",
                     reason: "caller asked again after repeated refusals (\(code))")
            state.remove("refusal", "refusal_count")
        }
        return true
    }

    /// Why `order` cannot be refunded: the policy code, the fact in a clause (for a repeat), and
    /// the first full answer. Nil when the order is eligible.
    static func refusal(of order: Order) -> (code: String, fact: String, reply: String)? {
        let spoken = order.spoken
        if let refund = order.refund {
            let when = refund.createdAt.map { " on \(Speech.date($0))" } ?? ""
            return ("already_refunded", "\(spoken) was already refunded\(when), so there's nothing left to refund on it",
                    "\(spoken.capitalizedFirst) was already refunded\(when): \(order.money(refund.amount)), refund ID \(refund.refundId), that's \(Speech.spell(refund.refundId)).")
        }
        if order.status != "delivered" {
            switch order.status {
            case "cancelled":
                return ("not_delivered", "\(spoken) was cancelled, so there's nothing to refund",
                        "\(spoken.capitalizedFirst) was cancelled, so there's nothing to refund.")
            case "shipped":
                return ("not_delivered", "\(spoken) is still on its way, and I can only refund it once it's delivered",
                        "\(spoken.capitalizedFirst) is still on its way, so I can't refund it until it's delivered.")
            default:
                return ("not_delivered", "\(spoken) hasn't shipped yet, so there's nothing I can refund",
                        "\(spoken.capitalizedFirst) hasn't shipped yet, it's still being processed, so I can't refund it.")
            }
        }
        if let days = order.daysDelivered, days > RefundAgent.windowDays {
            return ("outside_window", "\(spoken) was delivered \(days) days ago, past our \(RefundAgent.windowDays)-day refund window",
                    "I'm sorry, \(spoken) was delivered \(days) days ago, and our policy only allows refunds within \(RefundAgent.windowDays) days of delivery, so I can't refund it.")
        }
        return nil
    }

    struct IssuedRefund: Decodable, Sendable {
        let refundId: String
        let amount: Double
        let status: String?
        /// A number of days or a range ("5-7"), depending on the backend.
        let etaBusinessDays: LooseText?
    }

    mutating func issueRefund(_ orderID: String) async {
        var arguments: [String: JSONValue] = [
            "order_id": .string(orderID),
            "reason": .string(state.string("reason_detail") ?? state.string("reason") ?? "customer request"),
        ]
        if state.bool("partial"), let amount = state.double("amount") { arguments["amount"] = .number(amount) }
        let result = await actions.callTool("process_refund", arguments: .object(arguments))
        state.remove("reason", "reason_detail", "amount", "partial")
        switch ToolAnswer.decode(IssuedRefund.self, from: result) {
        case .success(let refund):
            let eta = refund.etaBusinessDays.map { days in
                "within " + Speech.speakable(days.text) + (days.text == "1" ? " business day" : " business days")
            } ?? "shortly"
            ask("Done. Your refund of \(Speech.money(refund.amount)) is approved, refund ID \(refund.refundId), that's \(Speech.spell(refund.refundId)), and it will reach your original payment method \(eta). Is there anything else I can help with?",
                awaiting: .anythingElse)
        case .refused(let refusal):
            state.set("refused", refusal.code)
            let lead = refusal.code == "already_refunded"
                ? "It looks like \(Speech.order(orderID)) has already been refunded."
                : "I'm sorry, I can't refund \(Speech.order(orderID))."
            ask("\(lead) \(refusal.reason) Is there anything else I can help with?", awaiting: .anythingElse)
        case .notFound, .failed:
            ask("I'm sorry, I couldn't process the refund because our system isn't responding. Would you like me to connect you with a person?",
                awaiting: .offerHuman)
        }
    }
}

extension String {
    /// "order 1 2 3" → "Order 1 2 3".
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
