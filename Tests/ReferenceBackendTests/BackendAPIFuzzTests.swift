import Foundation
import FuzzKit
import Host
import XCTest

/// Fuzzes the API of the real `support-backend` executable over loopback HTTP: a few thousand
/// requests, each a valid one with its JSON fields, body bytes, path or method mutated (seeded,
/// so a failure replays). The backend must answer every one with a well-formed response whose
/// status is below 500 (or a deliberate 5xx with a JSON error), never crash, stay up, and write
/// nothing for a request it refused: afterwards an order has a refund, and a customer a payment
/// plan, exactly when it had one before or a request for it got a 201.
///
/// BACKEND_FUZZ_REQUESTS and BACKEND_FUZZ_SEED run it longer or differently.
final class BackendAPIFuzzTests: XCTestCase {
    private var backend: ReferenceBackendProcess!
    private var port = 0
    private let key = "fuzz-key"

    override func setUpWithError() throws {
        backend = try ReferenceBackendProcess(apiKey: key)
        port = try XCTUnwrap(URLComponents(string: backend.url)?.port, backend.url)
    }

    override func tearDown() {
        backend.stop()
        super.tearDown()
    }

    func testMutatedRequestsNeverCrashTheBackendNorWriteWhenRefused() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["BACKEND_FUZZ_REQUESTS"].flatMap(Int.init) ?? 3_000
        let seed = environment["BACKEND_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_261_205
        let refundsBefore = try Set(BackendFixture.orders.filter { try hasRefund($0) })
        let plansBefore = try Set(BackendFixture.customers.filter { try hasPlan($0) })

        var random = FuzzRandom(seed: seed)
        var generator = RequestGenerator(key: key)
        var refunded: Set<String> = [], planned: Set<String> = []
        var statuses: [Int: Int] = [:]
        for index in 0..<count {
            let request = generator.next(&random)
            let response: HTTPWire.Response
            do throws(HTTPWire.Problem) {
                let reply = try HTTPWire.exchange(port: port, request.bytes, timeoutSeconds: 10)
                // A HEAD answer has no body, except HostNet's 400 for a request it could not parse,
                // which keeps its text (the connection closes right after, so clients lose nothing).
                let responses: [HTTPWire.Response]
                if request.method == "HEAD", let headOnly = try? HTTPWire.responses(reply, bodiless: { _ in true }) {
                    responses = headOnly
                } else {
                    responses = try HTTPWire.responses(reply)
                }
                guard responses.count == 1, let only = responses.first else {
                    throw HTTPWire.Problem(description: "\(responses.count) responses to one request with Connection: close")
                }
                response = only
            } catch {
                let saved = save(request, seed: seed, index: index)
                let alive = (try? HTTPWire.exchange(port: port, Array("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))) != nil
                return XCTFail("request \(index) (seed \(seed)): \(error)\(alive ? "" : "; support-backend died (its stderr is above)"); "
                               + "request saved in \(saved): \(HTTPWire.shown(request.bytes))")
            }
            statuses[response.status, default: 0] += 1
            let json = response.body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            if response.status >= 500 {
                XCTAssertNotNil(json?["error"] as? String, "request \(index): a \(response.status) that is not a JSON error: "
                                + "\(HTTPWire.shown(response.body)) for \(HTTPWire.shown(request.bytes))")
            }
            // The API's refusals say why in JSON (requests HTTP itself rejects get HostNet's plain-text 400).
            if request.method != "HEAD", response.status >= 400, response.header("Content-Type") == "application/json" {
                XCTAssertNotNil(json?["error"] as? String, "request \(index): \(response.status) without a JSON reason: "
                                + "\(HTTPWire.shown(response.body)) for \(HTTPWire.shown(request.bytes))")
            }
            if response.status == 201, let json {
                if let order = json["order_id"] as? String { refunded.insert(order) }
                if let customer = json["customer_id"] as? String, json["plan_id"] != nil { planned.insert(customer) }
            }
        }

        XCTAssertEqual(try HTTPWire.responses(try HTTPWire.exchange(port: port, Array(
            "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))).first?.status, 200, "the backend is not up any more")
        for order in BackendFixture.orders {
            XCTAssertEqual(try hasRefund(order), refundsBefore.contains(order) || refunded.contains(order),
                           "\(order): a refund written by a refused request, or lost")
        }
        for customer in BackendFixture.customers {
            XCTAssertEqual(try hasPlan(customer), plansBefore.contains(customer) || planned.contains(customer),
                           "\(customer): a payment plan written by a refused request, or lost")
        }
        // The run was not hollow: valid writes happened and most requests were refused for cause.
        XCTAssertFalse(refunded.isEmpty, "no refund succeeded: \(statuses)")
        XCTAssertGreaterThan(statuses[400, default: 0], count / 4, "\(statuses)")
        print("backend fuzz: \(count) requests, seed \(seed), statuses \(statuses.sorted { $0.key < $1.key })")
    }

    // MARK: reading the backend's state

    private func get(_ path: String) throws -> [String: Any] {
        let reply = try HTTPWire.exchange(port: port, Array("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\nConnection: close\r\n\r\n".utf8))
        let body = try XCTUnwrap(try HTTPWire.responses(reply).first).body
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], path)
    }

    private func hasRefund(_ order: String) throws -> Bool {
        try get("/api/orders/\(order)")["refund"] is [String: Any]
    }

    private func hasPlan(_ customer: String) throws -> Bool {
        try get("/api/billing/\(customer)")["payment_plan"] is [String: Any]
    }

    private func save(_ request: GeneratedRequest, seed: UInt64, index: Int) -> String {
        FuzzEngine.save(request.bytes, directory: NSTemporaryDirectory(), name: "backend-fuzz-\(seed)-\(index).http") ?? "(not saved)"
    }
}

/// The ids the seed fixture has (Sources/ReferenceBackend/Fixtures/SeedFixture.swift).
enum BackendFixture {
    static let orders = ["ORD-12345", "ORD-77310", "ORD-45045", "ORD-22222", "ORD-31337", "ORD-55120", "ORD-60001", "ORD-10001",
                         "ORD-10002", "ORD-10003", "ORD-10004", "ORD-10005", "ORD-10006", "ORD-10007", "ORD-10008", "ORD-10009",
                         "ORD-10010", "ORD-88888"]
    static let customers = (1001...1008).map { "CUST-\($0)" }
}

struct GeneratedRequest {
    let method: String
    let bytes: [UInt8]
}

/// Valid API requests, then mutated: a field's value swapped for an edge case (numbers that are
/// too large, too precise, negative, not numbers; odd ids and text), the JSON body's bytes mutated
/// like any fuzz input, the path or the method changed, the key left out.
struct RequestGenerator {
    let key: String
    private let mutator = Mutator(dictionary: ["{", "}", "[", "]", ",", ":", "\"", "\\u0000", "\\ud800", "null", "true", "1e308",
                                               "-0", "0.005", "NaN", #""amount":"#, #""months":"#, #""top_k":"#, #""order_id":"#]
                                    .map { Array($0.utf8) }, maxLength: 4_096)

    init(key: String) { self.key = key }

    static let numbers = ["1", "0", "-0", "-1", "0.01", "0.005", "0.1", "19.99", "1e308", "-1e308", "1e400", "1e-400", "5e-3",
                          "128.99", "1000000.00", "1000000.01", "99999999999999999999999", "2", "3", "12", "13", "2.0", "2.5", "1E1",
                          "NaN", "Infinity", "-Infinity", "0x10", "01", "1.", ".5", "+1", #""10""#, "true", "null", "[]", "{}",
                          "9223372036854775807", "9223372036854775808", "-9223372036854775809", "3.0000000000000000000000000001"]
    static let ids = BackendFixture.orders + BackendFixture.customers + ["ord-12345", "ORD-99999", "", " ", "ORD 12345", "ORD-12345\\u0000",
                     "ORD-%00", "../../etc/passwd", "ÖRD-12345", "😀", String(repeating: "9", count: 65), "CUST-9999", "12345"]
    static let texts = ["damaged", "", "   ", "late\\nagain", "tab\\there", "bell\\u0007", "\\ud83d\\ude00", "\\ud800",
                        String(repeating: "x", count: 1_200), "Bill\\u00e9", "billing", "Billing", "technical"]

    mutating func next(_ random: inout FuzzRandom) -> GeneratedRequest {
        var method = "POST", path: String, fields: [(String, String)] = []
        switch random.below(7) {
        case 0:
            path = "/api/refunds"
            fields = [("order_id", quoted(random.element(BackendFixture.orders))), ("reason", quoted("damaged"))]
            if random.oneIn(2) { fields.append(("amount", random.element(["10", "19.99", "0.5", "1"]))) }
        case 1:
            path = "/api/payment-plans"
            fields = [("customer_id", quoted(random.element(BackendFixture.customers))), ("months", "\(2 + random.below(11))")]
        case 2:
            path = "/api/faq/search"
            fields = [("query", quoted(random.element(["shipping", "refund policy", "password"]))), ("top_k", "\(1 + random.below(5))")]
        case 3:
            path = "/api/escalate"
            fields = [("caller", quoted("Ann")), ("department", quoted("billing")), ("reason", quoted("help")), ("session_id", quoted("s-1"))]
        case 4:
            method = "GET"
            path = "/api/orders/" + random.element(BackendFixture.orders)
        case 5:
            method = "GET"
            path = "/api/billing/" + random.element(BackendFixture.customers)
        default:
            method = "GET"
            path = "/health"
        }
        // Field values: one or two swapped for edge cases, a field dropped or added.
        for _ in 0..<random.below(3) where !fields.isEmpty {
            let index = random.below(fields.count)
            switch random.below(4) {
            case 0: fields[index].1 = random.element(Self.numbers)
            case 1: fields[index].1 = quoted(random.element(Self.ids))
            case 2: fields[index].1 = quoted(random.element(Self.texts))
            default: fields.remove(at: index)
            }
        }
        if random.oneIn(6) { fields.append((random.element(["amount", "months", "top_k", "order_id", "extra"]), random.element(Self.numbers))) }
        var body = Array(("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}").utf8)
        if method == "GET" { body = [] }
        if random.oneIn(3) { body = mutator.mutate(body, pool: [], random: &random) }
        if random.oneIn(6) { path = mutatedPath(path, &random) }
        if random.oneIn(12) { method = random.element(["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "POST", "FOO"]) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if !random.oneIn(15) { head += "Authorization: Bearer \(random.oneIn(20) ? "wrong" : key)\r\n" }
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return GeneratedRequest(method: method, bytes: Array(head.utf8) + body)
    }

    private func quoted(_ text: String) -> String { "\"" + text + "\"" }

    private func mutatedPath(_ path: String, _ random: inout FuzzRandom) -> String {
        switch random.below(6) {
        case 0: return path + random.element(["%00", "%2F", "/", "//x", "?amount=1e308", "%ZZ", "%", "/..", "%C3%28"])
        case 1: return path.replacingOccurrences(of: "/api/", with: random.element(["/API/", "/api//", "/./api/", "/%61pi/"]))
        case 2: return path + "/" + String(repeating: "a", count: 1 + random.below(3_000))
        case 3: return "/api/orders/" + random.element(["%E2%82%AC", "%00%00", "ORD-12345%2F..%2F..", "%F0%9F%98%80", "-", "_"])
        case 4: return String(Array(path.utf8).map { byte in random.oneIn(8) ? random.element(Array("%/?#.\\@ AZ09".utf8)) : byte }
                                .map { Character(UnicodeScalar($0)) })
        default: return "/api"
        }
    }
}
