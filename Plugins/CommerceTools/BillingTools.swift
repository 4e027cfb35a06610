// Billing: read an account, set up a payment plan.
import AgentHostSDK

struct CheckBilling: BackendTool {
    static let id = "com.agenthost.commerce.check-billing"
    static let displayName = "Check Billing"
    static let description = """
        Gets a customer's billing account: plan, payment method, current balance, invoices with \
        their status (paid, open, overdue), recent charges and refunds, and any active payment \
        plan. Use it for questions about balances, invoices, charges or double billing.
        """
    static let name = "check_billing"

    struct Arguments: Decodable, Sendable, DescribedArguments {
        let customer_id: String
        static let argumentDetails: [String: JSONValue] = ["customer_id": Schema.customerID]
    }

    let backend: Backend

    init(backend: Backend) { self.backend = backend }

    func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String {
        let customer = try Identifiers.customer(arguments.customer_id)
        let reply = try await backend.send(.get, "/api/billing/\(customer)", system: "the billing system", tool: Self.name)
        return try reply.output(notFound: "customer \(customer) not found")
    }
}

struct CreatePaymentPlan: BackendTool {
    static let id = "com.agenthost.commerce.create-payment-plan"
    static let displayName = "Create Payment Plan"
    static let description = """
        Sets up an interest-free payment plan that splits a customer's outstanding balance into \
        monthly installments. Confirm the number of months with the caller first. If the backend \
        declines (e.g. a plan already exists, or nothing is owed) the result has "refused": true \
        with a code and a reason to explain to the caller.
        """
    static let name = "create_payment_plan"

    struct Arguments: Decodable, Sendable, DescribedArguments {
        let customer_id: String
        let months: Int
        static let argumentDetails: [String: JSONValue] = [
            "customer_id": Schema.customerID,
            "months": ["minimum": 2, "maximum": 12, "description": "Number of monthly installments, 2 to 12"],
        ]
    }

    let backend: Backend

    init(backend: Backend) { self.backend = backend }

    func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String {
        let customer = try Identifiers.customer(arguments.customer_id)
        let body: JSONValue = ["customer_id": .string(customer), "months": .number(Double(arguments.months))]
        let reply = try await backend.send(.post, "/api/payment-plans", body: body, system: "the billing system", tool: Self.name)
        return try reply.output(notFound: "customer \(customer) not found", refusalsAreAnswers: true)
    }
}
