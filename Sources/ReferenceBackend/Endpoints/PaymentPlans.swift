import Foundation
import HostNet

/// POST /api/payment-plans {"customer_id", "months"} — billing agents spread a balance over 2-12 months.
extension SupportAPI {
    func createPaymentPlan(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let body = try RequestFields(request)
        let months = try body.requiredInteger("months", in: 2...12)
        let customer = try findCustomer(try body.identifier("customer_id"))
        let id = customer.fixture.id
        if let existing = try storeCall({ try store.paymentPlan(forCustomer: id) }) {
            throw planExists(existing)
        }
        let balance = customer.balance
        guard balance.cents > 0 else { throw .unprocessable("no_balance", "customer \(id) has no outstanding balance") }
        let now = clock()
        let outcome = try storeCall {
            try store.createPaymentPlan(customerID: id, months: months, monthlyAmount: balance.dividedRoundingUp(months),
                                        firstPaymentDate: Timestamps.day(now.addingTimeInterval(30 * 86_400)), at: now)
        }
        switch outcome {
        case .existing(let plan): throw planExists(plan)
        case .created(let plan): return JSONBody.response(status: 201, PlanView(plan))
        }
    }

    private func planExists(_ plan: BackendStore.PaymentPlan) -> APIError {
        .conflict("plan_exists", "customer \(plan.customerID) already has payment plan \(plan.planID)", ["plan_id": plan.planID])
    }
}
