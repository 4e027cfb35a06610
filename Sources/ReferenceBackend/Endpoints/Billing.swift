import HostNet

/// GET /api/billing/{customer_id}
extension SupportAPI {
    struct BillingView: Encodable {
        struct Line: Encodable {
            let description: String
            let amount: Money
        }
        struct Invoice: Encodable {
            let invoiceId, date, status: String
            let amount: Money
            let lines: [Line]
        }
        struct Charge: Encodable {
            let chargeId, date, description: String
            let amount: Money
        }
        let customerId, name, email, currency, plan, paymentMethod: String
        let balance: Money
        let invoices: [Invoice]
        let recentCharges: [Charge]
        let paymentPlan: Nullable<PlanView>
    }

    struct PlanView: Encodable {
        let planId, customerId, firstPaymentDate, status, createdAt: String
        let months: Int
        let monthlyAmount: Money

        init(_ plan: BackendStore.PaymentPlan) {
            planId = plan.planID
            customerId = plan.customerID
            firstPaymentDate = plan.firstPaymentDate
            status = "active"
            createdAt = plan.createdAt
            months = plan.months
            monthlyAmount = plan.monthlyAmount
        }
    }

    func getBilling(_ customerID: String) throws(APIError) -> HTTPResponse {
        let customer = try findCustomer(customerID)
        let fixture = customer.fixture
        let plan = try storeCall { try store.paymentPlan(forCustomer: fixture.id) }
        let view = BillingView(
            customerId: fixture.id, name: fixture.name, email: fixture.email, currency: currency, plan: fixture.plan,
            paymentMethod: fixture.paymentMethod, balance: customer.balance,
            invoices: fixture.invoices.map { invoice in
                let lines = invoice.lines.map { BillingView.Line(description: $0.description, amount: Money($0.amount)) }
                return .init(invoiceId: invoice.invoiceId, date: Timestamps.day(catalog.daysAgo(invoice.daysAgo)),
                             status: invoice.status, amount: lines.reduce(.zero) { $0 + $1.amount }, lines: lines)
            },
            recentCharges: fixture.recentCharges.map {
                .init(chargeId: $0.chargeId, date: Timestamps.day(catalog.daysAgo($0.daysAgo)), description: $0.description, amount: Money($0.amount))
            },
            paymentPlan: Nullable(plan.map(PlanView.init)))
        return JSONBody.response(status: 200, view)
    }

    func findCustomer(_ id: String) throws(APIError) -> Catalog.Customer {
        try RequestFields.checkIdentifier(id, what: "customer id")
        guard let customer = catalog.customers[id.uppercased()] else { throw .notFound("customer \(id) not found") }
        return customer
    }
}
