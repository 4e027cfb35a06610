import Dispatch
import Foundation
import HostNet
import Synchronization
import XCTest

final class HTTPServerTests: LoopTestCase {
    /// Answers "METHOD path q=<q> tag=<X-Tag> body=<body>".
    private let echo: HTTPHandler = { request, respond in
        let text = "\(request.method) \(request.path) q=\(request.query("q") ?? "-") tag=\(request.headers["x-tag"] ?? "-") body=\(request.bodyText)"
        respond(HTTPResponse(status: 200, text: text))
    }

    func testKeepAliveServesGetThenPostOnOneConnection() throws {
        let server = try serve(echo)
        let socket = try RawSocket(port: server.port)
        socket.send("GET /items?q=a%20b HTTP/1.1\r\nHost: x\r\nX-TAG: one\r\n\r\n")
        let first = try XCTUnwrap(socket.readResponse())
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.body, "GET /items q=a b tag=one body=")
        XCTAssertNil(first.headers["connection"])

        socket.send("POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        let second = try XCTUnwrap(socket.readResponse(), "second request on the same connection")
        XCTAssertEqual(second.body, "POST /items q=- tag=- body=hello")
        XCTAssertEqual(second.headers["content-length"], "\(second.body.utf8.count)")
    }

    func testPipelinedRequestsAreHandledOneAtATimeInOrder() throws {
        let inFlight = Atomic<Int>(0)
        let maxInFlight = Atomic<Int>(0)
        let server = try serve { request, respond in
            let now = inFlight.add(1, ordering: .relaxed).newValue
            maxInFlight.max(now, ordering: .relaxed)
            let delay = request.path == "/slow" ? 100 : 0
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) {
                inFlight.subtract(1, ordering: .relaxed)
                respond(HTTPResponse(status: 200, text: request.path))
            }
        }
        let socket = try RawSocket(port: server.port)
        socket.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.body, "/slow")
        XCTAssertEqual(socket.readResponse()?.body, "/fast")
        XCTAssertEqual(maxInFlight.load(ordering: .relaxed), 1)
    }

    /// A loop's connections read into one shared buffer: requests arriving in pieces on many
    /// connections at once, each larger than the buffer, must each reach the handler whole.
    func testConnectionsSendingInPiecesAtOnceEachGetTheirOwnBody() throws {
        let server = try serve(echo)
        let letters = Array("abcdefghijkl".utf8)
        let sockets = try letters.map { _ in try RawSocket(port: server.port) }
        let bodies = letters.map { [UInt8](repeating: $0, count: 100_000) }
        let requests = bodies.map { Array("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: \($0.count)\r\n\r\n".utf8) + $0 }
        var offset = 0
        while offset < requests[0].count {
            for (socket, request) in zip(sockets, requests) {
                socket.send(Array(request[offset..<min(offset + 8_192, request.count)]))
            }
            offset += 8_192
            usleep(200)   // let the loop read this round before the next: pieces of many connections interleave
        }
        for (socket, body) in zip(sockets, bodies) {
            let response = try XCTUnwrap(socket.readResponse())
            XCTAssertEqual(response.body, "POST /p q=- tag=- body=" + String(decoding: body, as: UTF8.self))
        }
    }

    func testGarbageGets400AndTheConnectionCloses() throws {
        let server = try serve(echo)
        let socket = try RawSocket(port: server.port)
        socket.send("\u{1}\u{2}NOT HTTP AT ALL\r\n\r\n")
        let response = try XCTUnwrap(socket.readResponse())
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.headers["connection"], "close")
        XCTAssertTrue(socket.waitForClose())
    }

    func testDeclaredOversizedBodyGets413() throws {
        let server = try serve(echo)
        let socket = try RawSocket(port: server.port)
        socket.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(2 << 20)\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 413)
        XCTAssertTrue(socket.waitForClose())
    }

    func testChunkedBodyOverTheLimitGets413() throws {
        let server = try serve(HTTPServer.Configuration(maxBodyBytes: 1000), echo)
        let socket = try RawSocket(port: server.port)
        let chunk = String(repeating: "x", count: 600)
        socket.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 413)
    }

    func testOversizedHeadersGet431() throws {
        let server = try serve(echo)
        let socket = try RawSocket(port: server.port)
        socket.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 17 * 1024))\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 431)
        XCTAssertTrue(socket.waitForClose())
    }

    func testIdleConnectionIsClosedAfterTheTimeout() throws {
        let server = try serve(HTTPServer.Configuration(idleTimeoutMilliseconds: 150), echo)
        let socket = try RawSocket(port: server.port)
        socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 200)
        let started = Date()
        XCTAssertTrue(socket.waitForClose())
        let waited = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(waited, 0.1)
        XCTAssertLessThan(waited, 2)
    }

    func testHandlerRunsOnTheLoopAndMayRespondFromAnotherThread() throws {
        let onLoop = Recorder<Bool>()
        let loop = self.loop!
        let server = try serve { request, respond in
            onLoop.append(loop.inLoopThread)
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.05)
                respond(HTTPResponse(status: 202, text: "later"))
                respond(HTTPResponse(status: 500, text: "a second answer is ignored"))
            }
        }
        let socket = try RawSocket(port: server.port)
        socket.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 202)
        XCTAssertEqual(socket.readResponse()?.status, 202)
        XCTAssertEqual(onLoop.all, [true, true])
    }

    func testExpectContinueGetsInterimResponse() throws {
        let server = try serve(echo)
        let socket = try RawSocket(port: server.port)
        socket.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 100)
        socket.send("abc")
        XCTAssertEqual(socket.readResponse()?.body, "POST /e q=- tag=- body=abc")
    }

    func testHTTP10ClosesAfterTheResponse() throws {
        let server = try serve(echo)
        let socket = try RawSocket(port: server.port)
        socket.send("GET /old HTTP/1.0\r\n\r\n")
        let response = try XCTUnwrap(socket.readResponse())
        XCTAssertEqual(response.headers["connection"], "close")
        XCTAssertTrue(socket.waitForClose())
    }

    func testHTTP10KeepAliveIsConfirmedAndHonoured() throws {
        let server = try serve(echo)
        let socket = try RawSocket(port: server.port)
        socket.send("HEAD /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let head = try XCTUnwrap(socket.readResponse(bodyExpected: false))
        XCTAssertEqual(head.headers["connection"], "keep-alive")
        XCTAssertNotEqual(head.headers["content-length"], "0")   // the GET's length, without the body
        socket.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.body, "GET /b q=- tag=- body=")
    }

    func testStopClosesListenerAndConnections() throws {
        let server = try serve(echo)
        let port = server.port
        let socket = try RawSocket(port: port)
        socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 200)
        server.stop()
        XCTAssertTrue(socket.waitForClose())
        XCTAssertThrowsError(try RawSocket(port: port))
        XCTAssertEqual(server.port, 0)
    }

    func testBindingATakenPortFails() throws {
        let server = try serve(echo)
        let second = HTTPServer(loop: loop, configuration: .init(port: server.port), handler: echo)
        XCTAssertThrowsError(try second.start())
    }
}
