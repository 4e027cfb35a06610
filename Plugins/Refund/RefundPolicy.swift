import AgentHostSDK
import SupportKit

/// Looking the order up, the refund policy, and issuing the refund.
extension RefundConversation {
    mutating func lookup(_ orderID: String) async -> Order? {
        let result = await actions.callTool("lookup_order", arguments: ["order_id": .string(orderID)])
        switch ToolOutput.decode(Order.self, from: result) {
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
    /// False when the order is eligible.
    mutating func refuseByPolicy(_ order: Order) -> Bool {
        let code: String
        let reply: String
        if let refund = order.refund {
            code = "already_refunded"
            let when = refund.createdAt.map { " on \(Speech.date($0))" } ?? ""
            reply = "\(order.spoken.capitalizedFirst) was already refunded\(when): \(order.money(refund.amount)), refund ID \(refund.refundId), that's \(Speech.spell(refund.refundId))."
        } else if order.status != "delivered" {
            code = "not_delivered"
            switch order.status {
            case "cancelled": reply = "\(order.spoken.capitalizedFirst) was cancelled, so there's nothing to refund."
            case "shipped": reply = "\(order.spoken.capitalizedFirst) is still on its way, so I can't refund it until it's delivered."
            default: reply = "\(order.spoken.capitalizedFirst) hasn't shipped yet, it's still being processed, so I can't refund it."
            }
        } else if let days = order.daysDelivered, days > RefundAgent.windowDays {
            code = "outside_window"
            reply = "I'm sorry, \(order.spoken) was delivered \(days) days ago, and our policy only allows refunds within \(RefundAgent.windowDays) days of delivery, so I can't refund it."
        } else {
            return false
        }
        state.remove("reason", "reason_detail", "amount", "partial")
        state.set("refused", code)
        ask(reply + " Is there anything else I can help with?", awaiting: .anythingElse)
        return true
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
        switch ToolOutput.decode(IssuedRefund.self, from: result) {
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
