import Foundation
import HostNet

/// GET /api/orders/{id}
extension SupportAPI {
    struct OrderView: Encodable {
        struct Item: Encodable {
            let sku, name: String
            let quantity: Int
            let unitPrice: Money
        }
        struct Refund: Encodable {
            let refundId, status, createdAt: String
            let amount: Money
        }
        let id, customerId, status, currency, orderedAt: String
        let items: [Item]
        let total: Money
        let shippedAt, deliveredAt: Nullable<String>
        let daysSinceDelivery: Nullable<Int>
        let refundEligible: Bool
        let refund: Nullable<Refund>
    }

    func getOrder(_ id: String) throws(APIError) -> HTTPResponse {
        let order = try findOrder(id)
        let refund = try storeCall { try store.refund(forOrder: order.id) }
        let now = clock()
        let view = OrderView(
            id: order.id, customerId: order.customerID, status: order.status, currency: currency,
            orderedAt: Timestamps.instant(order.orderedAt),
            items: order.items.map { .init(sku: $0.sku, name: $0.name, quantity: $0.quantity, unitPrice: Money($0.unitPrice)) },
            total: order.total,
            shippedAt: Nullable(order.shippedAt.map(Timestamps.instant)),
            deliveredAt: Nullable(order.deliveredAt.map(Timestamps.instant)),
            daysSinceDelivery: Nullable(order.deliveredAt.map { Timestamps.days(from: $0, to: now) }),
            refundEligible: refundRefusal(order, existing: refund, now: now) == nil,
            refund: Nullable(refund.map { .init(refundId: $0.refundID, status: $0.status, createdAt: $0.createdAt, amount: $0.amount) }))
        return JSONBody.response(status: 200, view)
    }

    func findOrder(_ id: String) throws(APIError) -> Catalog.Order {
        try RequestFields.checkIdentifier(id, what: "order id")
        guard let order = catalog.orders[id.uppercased()] else { throw .notFound("order \(id) not found") }
        return order
    }

    /// Why `order` cannot be refunded, or nil if it can.
    func refundRefusal(_ order: Catalog.Order, existing: BackendStore.Refund?, now: Date) -> APIError? {
        if let existing {
            return .conflict("already_refunded", "order \(order.id) was already refunded (refund \(existing.refundID))",
                             ["refund_id": existing.refundID])
        }
        if order.status == "cancelled" {
            return .unprocessable("order_cancelled", "order \(order.id) was cancelled before it shipped; there is nothing to refund")
        }
        guard let delivered = order.deliveredAt else {
            return .unprocessable("not_delivered", "order \(order.id) has not been delivered yet (status: \(order.status)); refunds are accepted after delivery")
        }
        let days = Timestamps.days(from: delivered, to: now)
        if days > refundWindowDays {
            return .unprocessable("outside_window", "order \(order.id) was delivered \(days) days ago; refunds are accepted within \(refundWindowDays) days")
        }
        return nil
    }

    /// Store failures are the server's fault: 500 with SQLite's message.
    func storeCall<T>(_ body: () throws -> T) throws(APIError) -> T {
        do { return try body() } catch { throw APIError(status: 500, message: "storage error: \(error)", code: "internal") }
    }
}
