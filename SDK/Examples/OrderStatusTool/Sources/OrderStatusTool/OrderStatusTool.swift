import AgentHostSDK

/// Tells a caller where their order is. A real plugin would call the backend through
/// `host.http`; this one keeps a small table so the tutorial needs nothing running.
struct OrderStatus: SynchronousTool {
    static let id = "com.example.tutorial.order-status"
    static let displayName = "Order Status"
    static let version = "1.0.0"
    static let description = "Looks up where an order is: processing, shipped (with carrier) or delivered."
    static let name = "order_status"
    // No `parameters`: the SDK derives the schema from Arguments; descriptions come from
    // DescribedArguments.
    struct Arguments: Decodable, Sendable, DescribedArguments {
        let order_id: String
        static let argumentDetails: [String: JSONValue] = ["order_id": ["description": "Order number, e.g. ORD-12345"]]
    }

    static let orders = ["ORD-12345": "delivered on Monday", "ORD-77310": "shipped with UPS, arriving Thursday"]

    init(host: PluginHost, settings: PluginSettings) {}

    func callSynchronously(_ arguments: Arguments, context: ToolCallContext) throws -> String {
        guard let status = Self.orders[arguments.order_id.uppercased()] else {
            throw PluginError.notFound("I could not find order \(arguments.order_id)")
        }
        return "Order \(arguments.order_id.uppercased()) was \(status)."
    }
}

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([OrderStatus.self])
}
