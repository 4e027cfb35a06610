// Support: search the knowledge base, queue the caller for a person.
import AgentHostSDK

struct SearchFAQ: BackendTool {
    static let id = "com.agenthost.commerce.search-faq"
    static let displayName = "Search FAQ"
    static let description = """
        Searches the company's help-centre articles (shipping, returns and refunds policy, \
        warranties, products, stores, accounts, payments) and returns the best matching \
        questions with their answers and a relevance score. Answer from the returned text only.
        """
    static let name = "search_faq"

    struct Arguments: Decodable, Sendable, DescribedArguments {
        let query: String
        let top_k: Int?
        static let argumentDetails: [String: JSONValue] = [
            "query": ["minLength": 1, "maxLength": 500,
                      "description": "The caller's question or its key words, e.g. \"do you ship to canada\""],
            "top_k": ["minimum": 1, "maximum": 10, "default": 3, "description": "How many articles to return (default 3)"],
        ]
    }

    let backend: Backend

    init(backend: Backend) { self.backend = backend }

    func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String {
        let query = try Identifiers.text(arguments.query, field: "query", limit: 500)
        let topK = arguments.top_k ?? 3
        guard (1...10).contains(topK) else { throw PluginError.invalidArgument("top_k must be between 1 and 10") }
        let body: JSONValue = ["query": .string(query), "top_k": .number(Double(topK))]
        let reply = try await backend.send(.post, "/api/faq/search", body: body, system: "the help-centre search", tool: Self.name)
        return try reply.output(notFound: "no help-centre articles found")
    }
}

struct EscalateToHuman: BackendTool {
    static let id = "com.agenthost.commerce.escalate-to-human"
    static let displayName = "Escalate To Human"
    static let description = """
        Opens a ticket that puts the caller in the queue for a human agent of a department, when \
        the caller asks for a person or the request needs one. Returns the ticket id, the \
        caller's position in the queue and the estimated wait in minutes to tell the caller.
        """
    static let name = "escalate_to_human"

    struct Arguments: Decodable, Sendable, DescribedArguments {
        let department: String
        let reason: String
        /// Added by the host (docs/telephony.md): what the person taking over hears, and the conversation.
        let summary: String?
        let transcript: String?
        static let argumentDetails: [String: JSONValue] = [
            // A String rather than an enum type: an unknown department is answered by the tool
            // (lower-cased, checked) instead of failing the decode.
            "department": ["enum": ["billing", "refunds", "orders", "technical", "general"], "description": "The team that should take over"],
            "reason": ["minLength": 1, "maxLength": 500,
                       "description": "One sentence for the human agent: what the caller needs and what was tried"],
        ]
    }

    let backend: Backend

    init(backend: Backend) { self.backend = backend }

    func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String {
        let department = try Identifiers.text(arguments.department, field: "department", limit: 64).lowercased()
        let reason = try Identifiers.text(arguments.reason, field: "reason", limit: 500)
        var body: [String: JSONValue] = [
            "caller": .string(context.callerID.isEmpty ? "unknown" : context.callerID),
            "department": .string(department),
            "reason": .string(reason),
        ]
        if !context.sessionID.isEmpty { body["session_id"] = .string(context.sessionID) }
        if let summary = arguments.summary { body["summary"] = .string(String(summary.prefix(2_000))) }
        if let transcript = arguments.transcript { body["transcript"] = .string(String(transcript.suffix(64_000))) }
        let reply = try await backend.send(.post, "/api/escalate", body: .object(body), system: "the support queue", tool: Self.name)
        return try reply.output(notFound: "the support queue has no department '\(department)'")
    }
}
