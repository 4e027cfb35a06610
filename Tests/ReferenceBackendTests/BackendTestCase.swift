import Dispatch
import Foundation
import HostNet
import ReferenceBackend
import Synchronization
import XCTest

/// Runs a `ReferenceBackend` in-process on a fresh data directory and talks to it over real
/// loopback HTTP with `HTTPClient`.
class BackendTestCase: XCTestCase {
    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let json: [String: Any]

        subscript(key: String) -> Any? { json[key] }
        var error: String { json["error"] as? String ?? "" }
        var code: String { json["code"] as? String ?? "" }
    }

    var backend: ReferenceBackend!
    var dataDirectory: String!
    private var clientLoop: EventLoop!
    private var client: HTTPClient!
    let key = "test-key"

    override func setUpWithError() throws {
        try super.setUpWithError()
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("backend-\(UUID().uuidString)").path
        try startBackend()
        clientLoop = EventLoop(name: "test-client")
        clientLoop.start()
        client = HTTPClient(loop: clientLoop)
    }

    override func tearDown() {
        client.close()
        clientLoop.stop()
        backend.stop()
        try? FileManager.default.removeItem(atPath: dataDirectory)
        super.tearDown()
    }

    func startBackend() throws {
        backend = ReferenceBackend(configuration: .init(port: 0, apiKey: key, dataDirectory: dataDirectory))
        try backend.start()
    }

    func request(_ method: String, _ path: String, body: String? = nil, key: String? = nil) -> ClientRequest {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(key ?? self.key)"]
        if body != nil { headers["Content-Type"] = "application/json" }
        return ClientRequest(method: method, url: "http://127.0.0.1:\(backend.port)\(path)", headers: headers, body: Array((body ?? "").utf8))
    }

    func get(_ path: String, key: String? = nil) throws -> Reply { try send(request("GET", path, key: key)) }
    func post(_ path: String, _ body: String) throws -> Reply { try send(request("POST", path, body: body)) }

    func send(_ request: ClientRequest) throws -> Reply {
        let result = Mutex<ClientResult?>(nil)
        let done = DispatchSemaphore(value: 0)
        client.send(request) { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        }
        _ = done.wait(timeout: .now() + 10)
        let response = try XCTUnwrap(result.withLock { $0 }, "no completion").get()
        return try reply(response)
    }

    /// Sends all at once and waits for every reply.
    func sendConcurrently(_ requests: [ClientRequest]) throws -> [Reply] {
        let results = Mutex<[ClientResult]>([])
        let done = DispatchSemaphore(value: 0)
        for request in requests {
            client.send(request) { outcome in
                results.withLock { $0.append(outcome) }
                done.signal()
            }
        }
        for _ in requests { _ = done.wait(timeout: .now() + 10) }
        return try results.withLock { $0 }.map { try reply($0.get()) }
    }

    private func reply(_ response: ClientResponse) throws -> Reply {
        let object = try JSONSerialization.jsonObject(with: Data(response.body))
        return Reply(status: response.status, headers: response.headers, json: try XCTUnwrap(object as? [String: Any], response.text))
    }
}

/// A JSON number as Double, however the decoder typed it.
func number(_ value: Any?) -> Double? {
    switch value {
    case let value as Int: Double(value)
    case let value as Double: value
    case let value as NSNumber: value.doubleValue
    default: nil
    }
}
