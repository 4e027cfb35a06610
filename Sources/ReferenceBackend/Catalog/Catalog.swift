import Foundation

/// The read-only company data (customers, orders, FAQ), resolved from the fixture against the
/// moment the backend started. Mutable state — refunds, plans, escalations — lives in `BackendStore`.
struct Catalog {
    struct Order {
        let id, customerID, status: String
        let orderedAt: Date
        let shippedAt: Date?
        let deliveredAt: Date?
        let items: [Fixture.Item]
        var total: Money { items.reduce(.zero) { $0 + Money($1.unitPrice) * $1.quantity } }
    }

    struct Customer {
        let fixture: Fixture.Customer
        /// What the customer owes: every open or overdue invoice.
        var balance: Money {
            fixture.invoices.filter { $0.status != "paid" }
                .flatMap(\.lines).reduce(.zero) { $0 + Money($1.amount) }
        }
    }

    let startedAt: Date
    let customers: [String: Customer]
    let orders: [String: Order]
    let faq: [Fixture.FAQ]
    /// Refunds and payment plans that predate the backend, for `BackendStore` to seed.
    let seededRefunds: [(orderID: String, refund: Fixture.Refund)]
    let seededPlans: [(customerID: String, plan: Fixture.PaymentPlan)]

    init(json: String = seedFixtureJSON, now: Date = Date()) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let fixture = try decoder.decode(Fixture.self, from: Data(json.utf8))
        let ago = { (days: Int) in now.addingTimeInterval(-Double(days) * 86_400) }
        startedAt = now
        customers = Dictionary(uniqueKeysWithValues: fixture.customers.map { ($0.id, Customer(fixture: $0)) })
        orders = Dictionary(uniqueKeysWithValues: fixture.orders.map { order in
            (order.id, Order(id: order.id, customerID: order.customerId, status: order.status,
                             orderedAt: ago(order.orderedDaysAgo), shippedAt: Self.shipped(order).map(ago),
                             deliveredAt: order.deliveredDaysAgo.map(ago), items: order.items))
        })
        faq = fixture.faq
        seededRefunds = fixture.orders.compactMap { order in order.refund.map { (order.id, $0) } }
        seededPlans = fixture.customers.compactMap { customer in customer.paymentPlan.map { (customer.id, $0) } }
    }

    /// Days ago it shipped: as recorded, or for delivered orders the day after it was placed.
    private static func shipped(_ order: Fixture.Order) -> Int? {
        order.shippedDaysAgo ?? order.deliveredDaysAgo.map { max($0, order.orderedDaysAgo - 1) }
    }

    /// A date `days` before the start, for seed rows.
    func daysAgo(_ days: Int) -> Date { startedAt.addingTimeInterval(-Double(days) * 86_400) }
}
