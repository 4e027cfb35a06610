import HostNet

/// POST /api/faq/search {"query", "top_k"?}
extension SupportAPI {
    struct SearchRequest: Decodable {
        let query: String
        let topK: Int?
        enum CodingKeys: String, CodingKey {
            case query, topK = "top_k"
        }
    }

    struct SearchResults: Encodable {
        struct Result: Encodable {
            let id, question, answer: String
            let score: Double
        }
        let results: [Result]
    }

    func searchFAQ(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let body = try JSONBody.decode(SearchRequest.self, from: request)
        let query = try body.query.requiredText(field: "query")
        let limit = body.topK ?? 3
        guard (1...20).contains(limit) else { throw .badRequest("field 'top_k' must be between 1 and 20") }
        let hits = faqIndex.search(query, limit: limit).map {
            SearchResults.Result(id: $0.entry.id, question: $0.entry.question, answer: $0.entry.answer,
                                 score: ($0.score * 1000).rounded() / 1000)
        }
        return JSONBody.response(status: 200, SearchResults(results: hits))
    }
}
