// Orders: look one up, refund it.
import AgentHostSDK

struct LookupOrder: BackendTool {
    static let id = "com.agenthost.commerce.lookup-order"
    static let displayName = "Lookup Order"
    static let description = """
        Looks up one order by its id: status (processing, shipped, delivered, cancelled), order, \
        ship and delivery dates, items with prices, total, and any refund already issued. Use it \
        before answering questions about an order or deciding whether it can be refunded.
        """
    static let name = "lookup_order"

    struct Arguments: Decodable, Sendable, DescribedArguments {
        let order_id: String
        static let argumentDetails: [String: JSONValue] = ["order_id": Schema.orderID]
    }

    let backend: Backend

    init(backend: Backend) { self.backend = backend }

    func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String {
        let order = try Identifiers.order(arguments.order_id)
        let reply = try await backend.send(.get, "/api/orders/\(order)", system: "the order system", tool: Self.name)
        return try reply.output(notFound: "order \(order) not found")
    }
}

struct ProcessRefund: BackendTool {
    static let id = "com.agenthost.commerce.process-refund"
    static let displayName = "Process Refund"
    static let description = """
        Refunds a delivered order to the original payment method, in full or for a partial \
        amount. Only call it after the caller confirmed the order and the reason. If the backend \
        declines (already refunded, outside the 30-day return window, not delivered yet) the \
        result has "refused": true with a code and a reason to explain to the caller.
        """
    static let name = "process_refund"

    struct Arguments: Decodable, Sendable, DescribedArguments {
        let order_id: String
        let reason: String
        let amount: Double?
        static let argumentDetails: [String: JSONValue] = [
            "order_id": Schema.orderID,
            "reason": ["minLength": 1, "maxLength": 500,
                       "description": "Why the caller wants the refund, in their words, e.g. \"arrived damaged\""],
            "amount": ["exclusiveMinimum": 0,
                       "description": "Amount to refund in dollars for a partial refund; omit to refund the whole order"],
        ]
    }

    let backend: Backend

    init(backend: Backend) { self.backend = backend }

    func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String {
        let order = try Identifiers.order(arguments.order_id)
        let reason = try Identifiers.text(arguments.reason, field: "reason", limit: 500)
        var body: [String: JSONValue] = ["order_id": .string(order), "reason": .string(reason)]
        if let amount = arguments.amount {
            guard amount.isFinite, amount > 0 else { throw PluginError.invalidArgument("amount must be a positive number of dollars") }
            body["amount"] = .number(amount)
        }
        let reply = try await backend.send(.post, "/api/refunds", body: .object(body), system: "the refund system", tool: Self.name)
        return try reply.output(notFound: "order \(order) not found", refusalsAreAnswers: true)
    }
}
