import Foundation
import HostNet

/// The company API: authentication, routing and the endpoints (in Endpoints/). Synchronous;
/// `ReferenceBackend` runs it on one serial queue, which also owns the SQLite connection.
final class SupportAPI: @unchecked Sendable {
    // @unchecked: confined to the backend's serial work queue.
    let catalog: Catalog
    let store: BackendStore
    let faqIndex: FAQIndex
    let clock: @Sendable () -> Date
    /// Refunds are accepted this many days after delivery.
    let refundWindowDays = 30
    let currency = "USD"
    private let apiKey: String
    private var router = Router()

    init(catalog: Catalog, store: BackendStore, apiKey: String, clock: @escaping @Sendable () -> Date) {
        self.catalog = catalog
        self.store = store
        self.apiKey = apiKey
        self.clock = clock
        faqIndex = FAQIndex(catalog.faq)
        router.add("GET", "/health") { _, _ in JSONBody.response(status: 200, ["status": "ok"]) }
        router.add("GET", "/api/orders/{id}") { [unowned self] in try getOrder($1[0]) }
        router.add("GET", "/api/billing/{customer_id}") { [unowned self] in try getBilling($1[0]) }
        router.add("POST", "/api/refunds") { [unowned self] request, _ in try createRefund(request) }
        router.add("POST", "/api/payment-plans") { [unowned self] request, _ in try createPaymentPlan(request) }
        router.add("POST", "/api/faq/search") { [unowned self] request, _ in try searchFAQ(request) }
        router.add("POST", "/api/escalate") { [unowned self] request, _ in try escalate(request) }
        router.add("GET", "/api/escalations/{ticket_id}") { [unowned self] in try getEscalation($1[0]) }
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == "/api" || request.path.hasPrefix("/api/"), !isAuthorized(request) {
            var response = APIError(status: 401, message: "missing or invalid bearer key", code: "unauthorized").response
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        }
        return router.route(request)
    }

    private func isAuthorized(_ request: HTTPRequest) -> Bool {
        guard let header = request.headers["Authorization"], header.lowercased().hasPrefix("bearer ") else { return false }
        let presented = Array(header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces).utf8)
        let expected = Array(apiKey.utf8)
        // Compare every byte, so the time taken does not reveal how much of the key matched.
        guard presented.count == expected.count else { return false }
        return zip(presented, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
