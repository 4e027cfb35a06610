import HostNet

/// POST /api/faq/search {"query", "top_k"?}
extension SupportAPI {
    struct SearchResults: Encodable {
        struct Result: Encodable {
            let id, question, answer: String
            let score: Double
        }
        let results: [Result]
    }

    func searchFAQ(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let body = try RequestFields(request)
        let query = try body.text("query", maxLength: 1_000)
        let limit = try body.integer("top_k", in: 1...20) ?? 3
        let hits = faqIndex.search(query, limit: limit).map {
            SearchResults.Result(id: $0.entry.id, question: $0.entry.question, answer: $0.entry.answer,
                                 score: ($0.score * 1000).rounded() / 1000)
        }
        return JSONBody.response(status: 200, SearchResults(results: hits))
    }
}
