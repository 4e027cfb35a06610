import Dispatch
import Foundation
import Glibc
import HostNet
import Synchronization
import XCTest

/// The listener's defences over real sockets: the header deadline (slowloris) and JSON bodies on
/// every error it sends itself.
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

    // MARK: the header deadline

    /// Slowloris: one header byte every 50 ms keeps resetting the idle timer, never the deadline.
    func testATrickledRequestHeadGets408AtTheDeadlineAndIsClosed() throws {
        let server = try serve(configuration { $0.headerTimeoutMilliseconds = 400 }, ok)
        let socket = try RawSocket(port: server.port)
        let stop = Atomic<Bool>(false)
        nonisolated(unsafe) let writer = socket   // this thread only sends; the test only reads
        let trickle = Thread {
            let head = Array("GET / HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "a", count: 200))".utf8)
            for byte in head where !stop.load(ordering: .relaxed) {
                writer.send([byte])
                usleep(50_000)
            }
        }
        trickle.start()
        defer { stop.store(true, ordering: .relaxed) }
        let response = socket.readResponse()   // at most 3 s: the head alone would take 11 s to arrive
        XCTAssertEqual(response?.status, 408)
        XCTAssertEqual(response?.headers["connection"], "close")
        XCTAssertTrue(jsonError(response)?.contains("did not arrive within 0.4 s") == true, "\(String(describing: response))")
        XCTAssertTrue(socket.waitForClose(), "the server closed its side after the 408")
    }

    func testAConnectionThatSendsNothingGets408AtTheDeadline() throws {
        let server = try serve(configuration { $0.headerTimeoutMilliseconds = 200 }, ok)
        let socket = try RawSocket(port: server.port)
        XCTAssertEqual(socket.readResponse()?.status, 408)
        XCTAssertTrue(socket.waitForClose())
    }

    func testOnAKeptAliveConnectionTheDeadlineStartsWithTheNextRequestsFirstByte() throws {
        let server = try serve(configuration { $0.headerTimeoutMilliseconds = 200 }, ok)
        let socket = try RawSocket(port: server.port)
        socket.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 200)
        usleep(350_000)   // idle between requests: only the idle timeout (30 s) applies
        socket.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.body, "ok /b")
        socket.send("GET /c HTTP/1.1\r\n")   // then a head that never completes
        XCTAssertEqual(socket.readResponse()?.status, 408)
    }

    func testASlowBodyAfterATimelyHeadIsNotCutByTheHeaderDeadline() throws {
        let server = try serve(configuration { $0.headerTimeoutMilliseconds = 200 }, { request, respond in
            respond(HTTPResponse(status: 200, text: request.bodyText))
        })
        let socket = try RawSocket(port: server.port)
        socket.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
        for byte in "abcdef".utf8 {
            usleep(80_000)
            socket.send([byte])
        }
        let response = socket.readResponse()
        XCTAssertEqual(response?.status, 200)
        XCTAssertEqual(response?.body, "abcdef")
    }
}
