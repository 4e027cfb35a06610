// The commerce tools' function names with fixed answers and no backend: for benchmarks that
// compare orchestration cost like for like, and for demos with nothing running. Not for callers.
import AgentHostSDK

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([CannedLookupOrder.self, CannedCheckBilling.self, CannedProcessRefund.self,
                        CannedSearchFAQ.self, CannedEscalate.self])
}

/// Shared shape: a synchronous tool that ignores its arguments and returns `answer`.
protocol CannedTool: SynchronousTool where Arguments == RawJSONArguments {
    static var answer: String { get }
    init()
}

extension CannedTool {
    static var version: String { "1.0.0" }
    static var parameters: JSONValue { ["type": "object", "properties": [:], "additionalProperties": true] }
    init(host: PluginHost, settings: PluginSettings) { self.init() }
    func callSynchronously(_ arguments: RawJSONArguments, context: ToolCallContext) throws -> String { Self.answer }
}

struct CannedLookupOrder: CannedTool {
    static let id = "com.agenthost.canned.lookup-order"
    static let displayName = "Canned Lookup Order"
    static let description = "Returns a fixed order delivered 10 days ago (benchmarks)."
    static let name = "lookup_order"
    static let answer = #"{"order_id":"ORD-12345","customer_id":"CUST-1001","status":"delivered","days_since_delivery":10,"total":24.0,"currency":"USD","items":[{"sku":"MUG-01","name":"Ceramic mug","quantity":2,"unit_price":12.0}],"refund":null}"#
}

struct CannedCheckBilling: CannedTool {
    static let id = "com.agenthost.canned.check-billing"
    static let displayName = "Canned Check Billing"
    static let description = "Returns a fixed billing account (benchmarks)."
    static let name = "check_billing"
    static let answer = #"{"customer_id":"CUST-1001","name":"Ada Lovelace","balance":42.5,"currency":"USD","payment_method":"Visa ending 4242","invoices":[],"recent_charges":[],"payment_plan":null}"#
}

struct CannedProcessRefund: CannedTool {
    static let id = "com.agenthost.canned.process-refund"
    static let displayName = "Canned Process Refund"
    static let description = "Approves every refund with a fixed id (benchmarks)."
    static let name = "process_refund"
    static let answer = #"{"refund_id":"RF-000001","order_id":"ORD-12345","amount":24.0,"status":"approved","eta_business_days":"5-7"}"#
}

struct CannedSearchFAQ: CannedTool {
    static let id = "com.agenthost.canned.search-faq"
    static let displayName = "Canned Search FAQ"
    static let description = "Returns one fixed FAQ entry (benchmarks)."
    static let name = "search_faq"
    static let answer = #"{"results":[{"id":"faq-shipping-times","question":"How long does shipping take?","answer":"Standard shipping takes 3 to 5 business days.","score":9.1}]}"#
}

struct CannedEscalate: CannedTool {
    static let id = "com.agenthost.canned.escalate"
    static let displayName = "Canned Escalate"
    static let description = "Queues every caller at position 1 (benchmarks)."
    static let name = "escalate_to_human"
    static let answer = #"{"ticket_id":"T-1","department":"general","position":1,"wait_minutes":2}"#
}
