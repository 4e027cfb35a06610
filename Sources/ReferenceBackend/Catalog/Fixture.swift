/// The seed file's shape (see `seedFixtureJSON`); ages are days before "now".
struct Fixture: Decodable {
    struct Customer: Decodable {
        let id, name, email, plan, paymentMethod: String
        let invoices: [Invoice]
        let recentCharges: [Charge]
        let paymentPlan: PaymentPlan?
    }
    struct Invoice: Decodable {
        let invoiceId: String
        let daysAgo: Int
        let status: String
        let lines: [Line]
    }
    struct Line: Decodable {
        let description: String
        let amount: Double
    }
    struct Charge: Decodable {
        let chargeId: String
        let daysAgo: Int
        let description: String
        let amount: Double
    }
    struct PaymentPlan: Decodable {
        let planId: String
        let months: Int
        let daysAgo: Int
    }
    struct Order: Decodable {
        let id, customerId, status: String
        let orderedDaysAgo: Int
        let shippedDaysAgo: Int?
        let deliveredDaysAgo: Int?
        let items: [Item]
        let refund: Refund?
    }
    struct Item: Decodable {
        let sku, name: String
        let quantity: Int
        let unitPrice: Double
    }
    struct Refund: Decodable {
        let refundId: String
        let daysAgo: Int
        let amount: Double
        let reason: String
    }
    struct FAQ: Decodable {
        let id, question, answer: String
        let tags: [String]
    }

    let customers: [Customer]
    let orders: [Order]
    let faq: [FAQ]
}
