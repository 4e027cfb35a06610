import Dispatch
import Foundation
import Glibc
import HostNet
import Synchronization
import XCTest

/// The listener's defences over real sockets: the header deadline (slowloris), the caps on open
/// connections, the pause on running out of descriptors, and JSON bodies on every error it sends.
final class HTTPServerProtectionTests: LoopTestCase {
    private let ok: HTTPHandler = { request, respond in respond(HTTPResponse(status: 200, text: "ok \(request.path)")) }
    private let refusals = Recorder<ConnectionRefusal>()
    private let warnings = Recorder<String>()

    /// A configuration whose events go to `refusals` and `warnings`.
    private func configuration(_ change: (inout HTTPServer.Configuration) -> Void = { _ in }) -> HTTPServer.Configuration {
        var configuration = HTTPServer.Configuration()
        let refusals = self.refusals, warnings = self.warnings
        configuration.events = HTTPServerEvents(connectionRefused: { refusals.append($0) }, log: { warnings.append($0) })
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

    private func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
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

    // MARK: connection caps

    func testConnectionsOverThePerClientCapGet503WhileOtherClientsAreServed() throws {
        let server = try serve(configuration { $0.maxConnectionsPerClient = 2 }, ok)
        var held: [RawSocket] = []
        for _ in 0..<2 {
            let socket = try RawSocket(port: server.port)
            socket.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(socket.readResponse()?.status, 200)
            held.append(socket)
        }
        XCTAssertEqual(server.openConnections, 2)
        let extra = try RawSocket(port: server.port)
        let refused = extra.readResponse()
        XCTAssertEqual(refused?.status, 503)
        XCTAssertEqual(refused?.headers["retry-after"], "1")
        XCTAssertTrue(jsonError(refused)?.contains("close idle connections") == true)
        XCTAssertTrue(extra.waitForClose())
        XCTAssertEqual(refusals.all, [.perClient])

        let other = try RawSocket(port: server.port, from: "127.0.0.2")
        other.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(other.readResponse()?.body, "ok /other", "another address is not affected")

        held[0].close()
        XCTAssertTrue(eventually { server.openConnections == 2 }, "the closed connection gave its place back")
        let again = try RawSocket(port: server.port)
        again.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(again.readResponse()?.body, "ok /again")
        XCTAssertEqual(warnings.all.filter { $0.contains("max_connections_per_client") }.count, 1, "\(warnings.all)")
    }

    func testConnectionsOverTheGlobalCapGet503() throws {
        let server = try serve(configuration { $0.maxConnections = 2; $0.maxConnectionsPerClient = 2 }, ok)
        let first = try RawSocket(port: server.port)
        let second = try RawSocket(port: server.port, from: "127.0.0.2")
        for socket in [first, second] {
            socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(socket.readResponse()?.status, 200)
        }
        let third = try RawSocket(port: server.port, from: "127.0.0.3")
        let refused = third.readResponse()
        XCTAssertEqual(refused?.status, 503)
        XCTAssertTrue(jsonError(refused)?.contains("connections open, its limit") == true)
        XCTAssertEqual(refusals.all, [.global])
    }

    /// A flood is counted per socket but logged once (then a summary per 10 s while it lasts).
    func testAFloodOfRefusedConnectionsIsCountedEachButLoggedOnce() throws {
        let server = try serve(configuration { $0.maxConnectionsPerClient = 1 }, ok)
        let held = try RawSocket(port: server.port)
        held.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(held.readResponse()?.status, 200)
        for _ in 0..<30 {
            let socket = try RawSocket(port: server.port)
            XCTAssertEqual(socket.readResponse()?.status, 503)
        }
        XCTAssertEqual(refusals.count, 30)
        XCTAssertEqual(warnings.all.count, 1, "\(warnings.all)")
    }

    /// An upgraded WebSocket still holds a descriptor: it counts until it closes.
    func testAWebSocketKeepsItsPlaceUnderTheCapUntilItCloses() throws {
        let server = HTTPServer(loop: loop, configuration: configuration { $0.maxConnectionsPerClient = 1 }, handler: ok, upgrade: { _ in
            .accept(WebSocketHandler(onText: { connection, text in connection.send(text: text) }))
        })
        try server.start()
        defer { server.stop() }
        let socket = try RawWebSocket(port: server.port)
        XCTAssertEqual(socket.handshake(path: "/ws")?.status, 101)
        XCTAssertEqual(server.openConnections, 1)
        let refused = try RawSocket(port: server.port)
        XCTAssertEqual(refused.readResponse()?.status, 503)
        socket.sendClose(code: 1000)
        XCTAssertEqual(socket.readClose()?.code, 1000)
        XCTAssertTrue(eventually { server.openConnections == 0 }, "the WebSocket gave its place back when it closed")
        let served = try RawSocket(port: server.port)
        served.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(served.readResponse()?.body, "ok /after")
    }

    // MARK: out of descriptors

    /// Lowers the soft descriptor limit to the next free descriptor number (the lowest free one),
    /// so the process has none left; returns the limit to restore.
    private func leaveNoFreeDescriptor() -> rlimit {
        var saved = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &saved)
        let probe = dup(0)
        close(probe)
        var lowered = saved
        lowered.rlim_cur = rlim_t(probe)
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lowered), 0)
        return saved
    }

    /// At the descriptor limit accept fails with EMFILE: the server stops watching the listening
    /// socket (logged once, counted), the client waits in the backlog, and it is served as soon
    /// as one of the server's connections closes. (libuv's own accept would reset it unlogged.)
    func testAtTheDescriptorLimitAcceptingPausesUntilAConnectionCloses() throws {
        let server = try serve(configuration { $0.acceptPauseMilliseconds = 60_000 }, ok)   // only a close resumes it here
        let holder = try RawSocket(port: server.port)
        holder.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(holder.readResponse()?.status, 200)
        let waiting = try RawSocket(unconnectedFrom: nil)   // its descriptor exists before the limit drops

        let saved = leaveNoFreeDescriptor()
        defer { var restore = saved; setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &restore) }

        try waiting.connect(port: server.port)
        XCTAssertTrue(eventually { refusals.count >= 1 }, "accept ran out of descriptors")
        usleep(200_000)
        XCTAssertEqual(refusals.count, 1, "paused: the listening socket is not polled (and accept retried) in a loop")
        XCTAssertEqual(Set(refusals.all), [.descriptors])
        XCTAssertEqual(warnings.all.filter { $0.contains("out of file descriptors") }.count, 1, "\(warnings.all)")

        holder.close()   // the server's side of it closes too, which frees a descriptor
        waiting.send("GET /waited HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(waiting.readResponse()?.body, "ok /waited")
        XCTAssertTrue(warnings.all.contains { $0.contains("accepting connections again") }, "\(warnings.all)")
    }

    func testAfterTheDescriptorPauseAcceptingResumesByItself() throws {
        let server = try serve(configuration { $0.acceptPauseMilliseconds = 100 }, ok)
        let waiting = try RawSocket(unconnectedFrom: nil)
        let saved = leaveNoFreeDescriptor()
        defer { var restore = saved; setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &restore) }
        try waiting.connect(port: server.port)
        XCTAssertTrue(eventually { refusals.count >= 1 })
        var restore = saved
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &restore)
        waiting.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(waiting.readResponse()?.body, "ok /later", "accepted once the pause ended")
    }
}
