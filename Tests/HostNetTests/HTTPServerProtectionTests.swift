import Dispatch
import Foundation
import Glibc
import HostNet
import Synchronization
import XCTest

/// The listener's defences over real sockets: JSON bodies on every error it sends itself.
final class HTTPServerProtectionTests: LoopTestCase {
    private let ok: HTTPHandler = { request, respond in respond(HTTPResponse(status: 200, text: "ok \(request.path)")) }

    private func configuration(_ change: (inout HTTPServer.Configuration) -> Void = { _ in }) -> HTTPServer.Configuration {
        var configuration = HTTPServer.Configuration()
        change(&configuration)
        return configuration
    }

    /// The `error` sentence of a JSON error response; fails the test when the response is not one.
    private func jsonError(_ response: (status: Int, headers: [String: String], body: String)?,
                           file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard let response else {
            XCTFail("no response", file: file, line: line)
            return nil
        }
        XCTAssertEqual(response.headers["content-type"], "application/json", "status \(response.status)", file: file, line: line)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any]
        let message = object?["error"] as? String
        XCTAssertNotNil(message, "a JSON {\"error\": …} body, got \(response.body)", file: file, line: line)
        XCTAssertEqual(object?.count, 1, response.body, file: file, line: line)
        return message
    }

    // MARK: HTTP versions and error bodies

    func testAnUnsupportedHTTPVersionGets505WithAJSONErrorAndHTTP10And11AreServed() throws {
        let server = try serve(configuration(), ok)
        for version in ["9.9", "2.0", "0.9"] {
            let socket = try RawSocket(port: server.port)
            socket.send(version == "0.9" ? "GET /health\r\n\r\n" : "GET /health HTTP/\(version)\r\nHost: x\r\n\r\n")
            let response = socket.readResponse()
            XCTAssertEqual(response?.status, 505, "HTTP/\(version)")
            XCTAssertEqual(response?.headers["connection"], "close")
            XCTAssertTrue(jsonError(response)?.contains("HTTP/\(version) is not supported") == true, "\(String(describing: response))")
            XCTAssertTrue(socket.waitForClose())
        }
        for version in ["1.0", "1.1"] {
            let socket = try RawSocket(port: server.port)
            socket.send("GET /health HTTP/\(version)\r\nHost: x\r\n\r\n")
            XCTAssertEqual(socket.readResponse()?.status, 200, "HTTP/\(version)")
        }
    }

    func testEveryErrorTheServerSendsItselfIsAJSONErrorSayingWhatToDo() throws {
        let server = HTTPServer(loop: loop, configuration: configuration { $0.maxBodyBytes = 1000 }, handler: ok,
                                upgrade: { _ in .reject(HTTPResponse(status: 404, text: "no")) })
        try server.start()
        defer { server.stop() }
        let cases: [(request: String, status: Int, says: String)] = [
            ("\u{1}\u{2}NOT HTTP AT ALL\r\n\r\n", 400, "send a valid HTTP/1.1 request"),
            ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 17 * 1024))\r\n\r\n", 431, "send fewer or shorter headers"),
            ("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413, "send a smaller body"),
            ("GET /ws HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 426, "Upgrade: websocket"),
        ]
        for item in cases {
            let socket = try RawSocket(port: server.port)
            socket.send(item.request)
            let response = socket.readResponse()
            XCTAssertEqual(response?.status, item.status, item.request.prefix(40).description)
            let message = jsonError(response)
            XCTAssertTrue(message?.contains(item.says) == true, "\(item.status): \(message ?? "-")")
        }
    }
}
