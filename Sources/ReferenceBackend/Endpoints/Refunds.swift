import HostNet

/// POST /api/refunds {"order_id", "reason", "amount"?}
extension SupportAPI {
    /// No refund is larger than this, whatever the order (a partial refund is also capped by its total).
    static let maxRefund = Money(cents: 100_000_000)

    struct RefundCreated: Encodable {
        let refundId, orderId, status, reason, currency, etaBusinessDays, createdAt: String
        let amount: Money
    }

    func createRefund(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let body = try RequestFields(request)
        let orderID = try body.identifier("order_id")
        let reason = try body.text("reason", maxLength: 1_000)
        let requested = try body.money("amount", atMost: Self.maxRefund)
        if let requested, requested.cents == 0 { throw .badRequest("field 'amount' must be greater than 0") }
        let order = try findOrder(orderID)
        let amount = requested ?? order.total
        guard amount <= order.total else {
            throw .unprocessable("amount_exceeds_total", "refund amount \(amount) exceeds the order total of \(order.total)")
        }
        let now = clock()
        if let refusal = refundRefusal(order, existing: try storeCall { try store.refund(forOrder: order.id) }, now: now) {
            throw refusal
        }
        // The check above gives the precise reason; the store's transaction + UNIQUE(order_id)
        // is what guarantees a single refund when requests race.
        switch try storeCall({ try store.createRefund(orderID: order.id, amount: amount, reason: reason, at: now) }) {
        case .existing(let refund):
            throw refundRefusal(order, existing: refund, now: now)!
        case .created(let refund):
            return JSONBody.response(status: 201, RefundCreated(
                refundId: refund.refundID, orderId: order.id, status: refund.status, reason: reason, currency: currency,
                etaBusinessDays: "5-7", createdAt: refund.createdAt, amount: refund.amount))
        }
    }
}
