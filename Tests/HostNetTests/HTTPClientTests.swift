import Dispatch
import Foundation
import HostNet
import Synchronization
import XCTest

final class HTTPClientTests: LoopTestCase {
    private var client: HTTPClient!

    override func setUp() {
        super.setUp()
        client = HTTPClient(loop: loop)
    }

    override func tearDown() {
        client.close()
        client = nil
        super.tearDown()
    }

    private func url(_ server: HTTPServer, _ path: String) -> String { "http://127.0.0.1:\(server.port)\(path)" }

    func testGetReturnsStatusHeadersAndBody() throws {
        let server = try serve { request, respond in
            respond(HTTPResponse(status: 200, headers: ["X-Reply": "yes"], text: "hello \(request.path)"))
        }
        let response = try XCTUnwrap(fetch(client, .get(url(server, "/greet")))).get()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "hello /greet")
        XCTAssertEqual(response.headers["x-reply"], "yes")
        XCTAssertEqual(response.headers["CONTENT-LENGTH"], "12")
    }

    func testPostSendsTheBody() throws {
        let server = try serve { request, respond in
            respond(HTTPResponse(status: 201, text: "\(request.method) \(request.headers["content-type"] ?? "-") \(request.body.count) \(request.bodyText.suffix(5))"))
        }
        let payload = String(repeating: "{}", count: 50_000) + "12345"
        let response = try XCTUnwrap(fetch(client, .post(url(server, "/echo"), json: payload))).get()
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.text, "POST application/json \(payload.utf8.count) 12345")
    }

    func testErrorStatusIsAResponseNotAnError() throws {
        let server = try serve { _, respond in respond(HTTPResponse(status: 503, text: "busy")) }
        let response = try XCTUnwrap(fetch(client, .get(url(server, "/")))).get()
        XCTAssertEqual(response.status, 503)
    }

    func testTimeoutWhenTheServerNeverAnswers() throws {
        let server = try serve { _, _ in }   // never responds
        var request = ClientRequest.get(url(server, "/hang"))
        request.timeoutMilliseconds = 200
        let started = Date()
        let result = try XCTUnwrap(fetch(client, request))
        XCTAssertEqual(result.error?.kind, .timeout, "\(result)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
    }

    func testConnectionRefusedIsUnavailable() throws {
        let result = try XCTUnwrap(fetch(client, .get("http://127.0.0.1:\(unusedPort())/")))
        XCTAssertEqual(result.error?.kind, .unavailable, "\(result)")
        XCTAssertFalse(result.error?.message.isEmpty ?? true)
    }

    func testCancelCompletesExactlyOnceWithCancelled() throws {
        let arrived = expectation(description: "request reached the server")
        let server = try serve { _, _ in arrived.fulfill() }
        let results = Recorder<ClientResult>()
        let completed = expectation(description: "completion")
        let id = client.send(.get(url(server, "/hang"))) { result in
            results.append(result)
            completed.fulfill()
        }
        wait(for: [arrived], timeout: 5)
        client.cancel(id)
        client.cancel(id)
        wait(for: [completed], timeout: 5)
        // A second completion would arrive through the same loop; drain it before counting.
        _ = loop.submitAndWait { 0 }
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(results.all.first?.error?.kind, .cancelled)
    }

    func testTwoHundredConcurrentRequestsAllComplete() throws {
        let server = try serve { request, respond in
            // Half answer inline, half from another thread.
            let reply = HTTPResponse(status: 200, text: request.query("n") ?? "?")
            if request.query("n").flatMap(Int.init).map({ $0 % 2 == 0 }) ?? true {
                respond(reply)
            } else {
                DispatchQueue.global().async { respond(reply) }
            }
        }
        let results = Recorder<(Int, String)>()
        let done = expectation(description: "all completions")
        done.expectedFulfillmentCount = 200
        for n in 0..<200 {
            client.send(.get(url(server, "/n?n=\(n)"))) { result in
                results.append((n, (try? result.get().text) ?? "error: \(result)"))
                done.fulfill()
            }
        }
        wait(for: [done], timeout: 15)
        let mismatched = results.all.filter { "\($0.0)" != $0.1 }
        XCTAssertEqual(results.count, 200)
        XCTAssertTrue(mismatched.isEmpty, "\(mismatched.prefix(3))")
    }

    func testAsyncWrapper() async throws {
        let server = try serve { _, respond in respond(HTTPResponse(status: 200, text: "async")) }
        let response = try await client.send(.get(url(server, "/")))
        XCTAssertEqual(response.text, "async")
    }

    func testAsyncWrapperCancelsWithTheTask() async throws {
        let server = try serve { _, _ in }
        let client = self.client!
        let request = ClientRequest.get(url(server, "/hang"))
        let task = Task { () -> ClientError.Kind? in
            do { _ = try await client.send(request); return nil } catch let error as ClientError { return error.kind } catch { return nil }
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        let kind = await task.value
        XCTAssertEqual(kind, .cancelled)
    }

    func testTLSVerificationIsOnByDefault() throws {
        let tls = try SelfSignedTLSServer()
        defer { tls.stop() }
        let result = try XCTUnwrap(fetch(client, .get("https://127.0.0.1:\(tls.port)/")))
        // 60 = CURLE_PEER_FAILED_VERIFICATION: the self-signed certificate was rejected.
        XCTAssertEqual(result.error?.curlCode, 60, "\(result)")
        XCTAssertEqual(result.error?.kind, .other)
    }
}

private extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
