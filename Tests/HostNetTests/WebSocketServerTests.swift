import Dispatch
import Foundation
import HostNet
import Synchronization
import XCTest

/// The server side over real loopback sockets: raw sockets for what clients must not send,
/// `WebSocketClient` / `BlockingWebSocket` for the rest.
final class WebSocketServerTests: WebSocketTestCase {
    // MARK: handshake

    func testHandshakeAnswers101WithTheRFCAcceptValueThenEchoes() throws {
        let server = try serveEcho()
        let socket = try RawWebSocket(port: server.port)
        let response = try XCTUnwrap(socket.handshake(path: "/ws"))
        XCTAssertEqual(response.status, 101)
        XCTAssertEqual(response.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        XCTAssertEqual(response.headers["upgrade"]?.lowercased(), "websocket")
        XCTAssertEqual(response.headers["connection"]?.lowercased(), "upgrade")
        socket.sendText("hello")
        XCTAssertEqual(socket.readFrame(), RawWebSocket.Frame(fin: true, opcode: 0x1, payload: Array("hello".utf8)))
    }

    func testBadHandshakesGet400Or426AndClose() throws {
        let server = try serveEcho()
        let cases: [(String, String, [String: String?], Int)] = [
            ("POST", "/", [:], 400),
            ("GET", "/", ["Sec-WebSocket-Key": nil], 400),
            ("GET", "/", ["Sec-WebSocket-Key": "c2hvcnQ="], 400),
            ("GET", "/", ["Connection": "keep-alive"], 400),
            ("GET", "/", ["Upgrade": nil], 426),
            ("GET", "/", ["Sec-WebSocket-Version": "8"], 426),
        ]
        for (method, path, headers, status) in cases {
            let socket = try RawWebSocket(port: server.port)
            let response = socket.handshake(path: path, method: method, headers: headers)
            XCTAssertEqual(response?.status, status, "\(method) \(headers)")
            XCTAssertEqual(response?.headers["connection"], "close")
            XCTAssertFalse(response?.body.isEmpty ?? true, "a reason is given")
            if status == 426, headers["Sec-WebSocket-Version"] != nil {
                XCTAssertEqual(response?.headers["sec-websocket-version"], "13")
            }
            XCTAssertTrue(socket.waitForEOF())
        }
    }

    func testRouterSeesTheRequestAndMayReject() throws {
        let seen = Recorder<String>()
        let server = try serveWebSocket { request in
            seen.append("\(request.path) \(request.query("tenant") ?? "-") \(request.headers["Authorization"] ?? "-")")
            guard request.headers["Authorization"] == "Bearer good" else {
                return .reject(HTTPResponse(status: 401, text: "missing or invalid API key"))
            }
            return .accept(WebSocketHandler(onOpen: { connection in
                connection.send(text: "welcome to \(connection.request.path)")
            }))
        }
        XCTAssertThrowsError(try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/v1/ws?tenant=acme",
                                                   configuration: quietConfiguration())) { error in
            let error = error as? WebSocketClientError
            XCTAssertEqual(error?.kind, .rejected)
            XCTAssertEqual(error?.status, 401)
            XCTAssertEqual(error?.message, "missing or invalid API key")
        }
        let client = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/v1/ws?tenant=acme",
                                           headers: ["Authorization": "Bearer good"], configuration: quietConfiguration())
        XCTAssertEqual(client.receive(), .text("welcome to /v1/ws"))
        XCTAssertEqual(seen.all, ["/v1/ws acme -", "/v1/ws acme Bearer good"])
    }

    func testPlainHTTPStillGoesToTheHandler() throws {
        let server = try serveEcho()
        let socket = try RawSocket(port: server.port)
        socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 404)
        socket.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 404, "keep-alive is untouched")
    }

    func testFramesSentWithTheHandshakeAreNotLost() throws {
        let server = try serveEcho()
        let socket = try RawWebSocket(port: server.port)
        let head = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(RawWebSocket.rfcKey)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        socket.send(Array(head.utf8) + WebSocketFrame.encode(.text, payload: Array("early".utf8), maskKey: 0x0102_0304))
        XCTAssertEqual(socket.readResponse()?.status, 101)
        XCTAssertEqual(socket.readFrame()?.text, "early")
    }

    // MARK: messages

    func testEchoTextAndBinary() throws {
        let server = try serveEcho()
        let client = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/", configuration: quietConfiguration())
        client.send(text: "héllo 👋")
        XCTAssertEqual(client.receive(), .text("héllo 👋"))
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        client.send(binary: big)
        XCTAssertEqual(client.receive(), .binary(big))
        client.send(text: "")
        XCTAssertEqual(client.receive(), .text(""))
        XCTAssertEqual(client.close()?.code, 1000)
    }

    func testFragmentedMessageIsReassembledWithAPingInBetween() throws {
        let server = try serveEcho()
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendText("frag", fin: false)
        socket.sendFrame(.ping, Array("mid".utf8))
        socket.sendFrame(.continuation, Array("ment".utf8), fin: false)
        socket.sendFrame(.continuation, Array("ed".utf8))
        XCTAssertEqual(socket.readFrame(), RawWebSocket.Frame(fin: true, opcode: 0xA, payload: Array("mid".utf8)))
        XCTAssertEqual(socket.readFrame()?.text, "fragmented")
    }

    func testPingGetsPongWithTheSamePayload() throws {
        let server = try serveEcho()
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendFrame(.ping, [1, 2, 3])
        XCTAssertEqual(socket.readFrame(), RawWebSocket.Frame(fin: true, opcode: 0xA, payload: [1, 2, 3]))
        socket.sendFrame(.pong, [9])   // unsolicited pong: ignored
        socket.sendText("still here")
        XCTAssertEqual(socket.readFrame()?.text, "still here")
    }

    // MARK: closing

    func testClientCloseIsEchoedThenTCPCloses() throws {
        let closes = Recorder<UInt16>()
        let server = try serveEcho(closes: closes)
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendClose(code: 4001, reason: "bye")
        XCTAssertEqual(socket.readClose()?.code, 4001)
        XCTAssertTrue(socket.waitForEOF())
        XCTAssertTrue(eventually { closes.all == [4001] })
    }

    func testCloseWithoutCodeIsEchoedEmptyAndReported1005() throws {
        let closes = Recorder<UInt16>()
        let server = try serveEcho(closes: closes)
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendFrame(.close, [])
        let frame = try XCTUnwrap(socket.readFrame())
        XCTAssertEqual(frame.opcode, 0x8)
        XCTAssertEqual(frame.payload, [])
        XCTAssertTrue(socket.waitForEOF())
        XCTAssertTrue(eventually { closes.all == [1005] })
    }

    func testServerCloseReachesTheClientWithItsCode() throws {
        let closes = Recorder<UInt16>()
        let server = try serveWebSocket { _ in
            .accept(WebSocketHandler(onText: { connection, text in
                connection.close(code: 4000, reason: "done: \(text)")
            }, onClose: { _, code, _ in closes.append(code) }))
        }
        let client = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/", configuration: quietConfiguration())
        client.send(text: "x")
        XCTAssertEqual(client.receive(), .closed(code: 4000, reason: "done: x"))
        XCTAssertTrue(eventually { closes.all == [4000] })
    }

    func testServerClosesTCPWhenThePeerNeverAnswersTheClose() throws {
        var configuration = quietConfiguration()
        configuration.closeTimeoutMilliseconds = 200
        let closes = Recorder<UInt16>()
        let server = try serveWebSocket(configuration) { _ in
            .accept(WebSocketHandler(onText: { connection, _ in connection.close(code: 1000) },
                                     onClose: { _, code, _ in closes.append(code) }))
        }
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendText("close please")
        XCTAssertEqual(socket.readClose()?.code, 1000)
        let started = Date()
        XCTAssertTrue(socket.waitForEOF())   // we never send our close frame
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertTrue(eventually { closes.all == [1000] })
    }

    func testInvalidCloseCodeFromTheClientGets1002() throws {
        let server = try serveEcho()
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendFrame(.close, [0x03, 0xED])   // 1005 must never be sent
        XCTAssertEqual(socket.readClose()?.code, 1002)
        XCTAssertTrue(socket.waitForEOF())
    }

    func testAbruptTCPCloseIsReported1006() throws {
        let closes = Recorder<UInt16>()
        let server = try serveEcho(closes: closes)
        var socket: RawWebSocket? = try RawWebSocket(port: server.port)
        socket?.open()
        socket = nil
        XCTAssertTrue(eventually { closes.all == [1006] })
    }

    // MARK: protocol violations

    func testUnmaskedClientFrameGets1002() throws {
        let closes = Recorder<UInt16>()
        let server = try serveEcho(closes: closes)
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendFrame(.text, Array("naked".utf8), masked: false)
        let close = try XCTUnwrap(socket.readClose())
        XCTAssertEqual(close.code, 1002)
        XCTAssertEqual(close.reason, "client frame is not masked")
        XCTAssertTrue(socket.waitForEOF())
        socket.close()   // the server lingers until the peer closes (or its deadline)
        XCTAssertTrue(eventually { closes.all == [1002] })
        XCTAssertTrue(logLines.all.contains { $0.contains("client frame is not masked") })
    }

    func testInvalidUTF8Gets1007() throws {
        let server = try serveEcho()
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendFrame(.text, [0x68, 0x69, 0xC3, 0x28])
        XCTAssertEqual(socket.readClose()?.code, 1007)
        XCTAssertTrue(socket.waitForEOF())
    }

    func testOversizedMessageGets1009() throws {
        var configuration = quietConfiguration()
        configuration.maxMessageBytes = 64 * 1024
        let server = try serveEcho(configuration)
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendFrame(.binary, [UInt8](repeating: 1, count: 64 * 1024))
        XCTAssertEqual(socket.readFrame()?.payload.count, 64 * 1024, "at the limit is fine")
        socket.sendFrame(.binary, [UInt8](repeating: 1, count: 64 * 1024 + 1))
        XCTAssertEqual(socket.readClose()?.code, 1009)
        XCTAssertTrue(socket.waitForEOF())
    }

    func testDefaultLimitIsOneMebibyte() throws {
        let server = try serveEcho()
        let client = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/", configuration: quietConfiguration())
        client.send(binary: [UInt8](repeating: 2, count: 1 << 20))
        XCTAssertEqual(client.receive(), .binary([UInt8](repeating: 2, count: 1 << 20)))
        client.send(binary: [UInt8](repeating: 2, count: (1 << 20) + 1))
        XCTAssertEqual(client.receive(), .closed(code: 1009, reason: "message over 1048576 bytes"))
    }

    func testReservedOpcodeAndBitsGet1002() throws {
        let server = try serveEcho()
        for firstByte: UInt8 in [0x83, 0xC1] {   // opcode 3; RSV1 on a text frame
            let socket = try RawWebSocket(port: server.port)
            socket.open()
            socket.sendFrame(.text, [0x41], firstByte: firstByte)
            XCTAssertEqual(socket.readClose()?.code, 1002, "first byte \(firstByte)")
        }
    }

    // MARK: timers and queues

    func testIdleConnectionIsClosedWith1001() throws {
        var configuration = quietConfiguration()
        configuration.idleTimeoutMilliseconds = 200
        let server = try serveEcho(configuration)
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        let started = Date()
        let close = try XCTUnwrap(socket.readClose())
        XCTAssertEqual(close.code, 1001)
        XCTAssertEqual(close.reason, "idle timeout")
        let waited = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(waited, 0.15)
        XCTAssertLessThan(waited, 2)
        socket.sendClose(code: 1001)
        XCTAssertTrue(socket.waitForEOF())
    }

    func testTrafficKeepsAConnectionOpenAndClientPingsCount() throws {
        var server = quietConfiguration()
        server.idleTimeoutMilliseconds = 300
        let echo = try serveEcho(server)
        var client = quietConfiguration()
        client.pingIntervalMilliseconds = 100
        let socket = try BlockingWebSocket(url: "ws://127.0.0.1:\(echo.port)/", configuration: client)
        Thread.sleep(forTimeInterval: 0.9)   // three idle timeouts, kept alive by pings alone
        socket.send(text: "alive")
        XCTAssertEqual(socket.receive(), .text("alive"))
    }

    func testSlowReaderIsClosedWith1008() throws {
        var configuration = quietConfiguration()
        configuration.maxQueuedBytes = 256 * 1024
        configuration.closeTimeoutMilliseconds = 300
        let closes = Recorder<UInt16>()
        let chunk = [UInt8](repeating: 0x5A, count: 64 * 1024)
        let server = try serveWebSocket(configuration) { _ in
            .accept(WebSocketHandler(onText: { connection, _ in
                for _ in 0..<400 { connection.send(binary: chunk) }   // 25 MiB to a reader that never reads
            }, onClose: { _, code, _ in closes.append(code) }))
        }
        let socket = try RawWebSocket(port: server.port, receiveBuffer: 4096)
        socket.open()
        socket.sendText("flood me")
        XCTAssertTrue(eventually { closes.all == [1008] })
        XCTAssertTrue(logLines.all.contains { $0.contains("peer too slow") }, "\(logLines.all)")
    }

    func testServerStopClosesWebSocketsWith1001() throws {
        let server = try serveEcho()
        let client = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/", configuration: quietConfiguration())
        client.send(text: "x")
        XCTAssertEqual(client.receive(), .text("x"))
        server.stop()
        XCTAssertEqual(client.receive(), .closed(code: 1001, reason: "server stopping"))
    }

    // MARK: many clients

    func testTwoHundredConcurrentClientsEachEchoTenMessages() throws {
        let server = try serveEcho()
        let clientLoop = EventLoop(name: "clients")
        clientLoop.start()
        defer { clientLoop.stop() }
        let clients = 200, messages = 10
        let finished = Recorder<Int>()
        let problems = Recorder<String>()
        let done = DispatchSemaphore(value: 0)
        for id in 0..<clients {
            let next = Counter()
            WebSocketClient.connect("ws://127.0.0.1:\(server.port)/echo?client=\(id)", loop: clientLoop, configuration: quietConfiguration(),
                                    handler: WebSocketHandler(
                onOpen: { connection in connection.send(text: "\(id)-0") },
                onText: { connection, text in
                    let n = next.value.add(1, ordering: .relaxed).newValue
                    if text != "\(id)-\(n - 1)" { problems.append("client \(id) got \(text) for \(n - 1)") }
                    if n < messages { connection.send(text: "\(id)-\(n)") } else { connection.close() }
                },
                onClose: { _, code, _ in
                    if code == 1000, next.value.load(ordering: .relaxed) == messages { finished.append(id) } else { problems.append("client \(id) closed \(code)") }
                    done.signal()
                }),
                onFailure: { error in
                    problems.append("client \(id): \(error)")
                    done.signal()
                })
        }
        for _ in 0..<clients { XCTAssertEqual(done.wait(timeout: .now() + 30), .success) }
        XCTAssertEqual(problems.all, [])
        XCTAssertEqual(Set(finished.all).count, clients)
    }

    func testAClientSendingGarbageDoesNotDisturbTheOthers() throws {
        let server = try serveEcho()
        let good = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/", configuration: quietConfiguration())
        good.send(text: "before")
        XCTAssertEqual(good.receive(), .text("before"))

        let bad = try RawWebSocket(port: server.port)
        bad.open()
        bad.send((0..<4096).map { _ in UInt8.random(in: 0...255) })
        XCTAssertNotNil(bad.readClose())
        XCTAssertTrue(bad.waitForEOF())

        let rude = try RawSocket(port: server.port)
        rude.send("\u{1}\u{2}NOT HTTP\r\n\r\n")
        XCTAssertEqual(rude.readResponse()?.status, 400)

        for i in 0..<20 {
            good.send(text: "after \(i)")
            XCTAssertEqual(good.receive(), .text("after \(i)"))
        }
    }

    func testRandomFramesNeverHurtTheServer() throws {
        let server = try serveEcho()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            let socket = try RawWebSocket(port: server.port)
            socket.open()
            socket.setReceiveTimeout(milliseconds: 50)
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let opcode = WebSocketOpcode(rawValue: [0, 1, 2, 8, 9, 10].randomElement(using: &generator)!)!
                let payload = (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                bytes += WebSocketFrame.encode(opcode, payload: payload, fin: Bool.random(using: &generator),
                                               maskKey: Bool.random(using: &generator) ? nil : UInt32.random(in: 0 ... .max, using: &generator))
            }
            for _ in 0..<Int.random(in: 0...4, using: &generator) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            }
            socket.send(bytes)
            while socket.readFrame() != nil {}
            socket.close()
        }
        let good = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/", configuration: quietConfiguration())
        good.send(text: "server still fine")
        XCTAssertEqual(good.receive(), .text("server still fine"))
    }

    // MARK: client errors

    func testClientReportsRefusedConnectionAndBadURLs() {
        XCTAssertThrowsError(try BlockingWebSocket(url: "ws://127.0.0.1:\(unusedPort())/", configuration: quietConfiguration())) {
            XCTAssertEqual(($0 as? WebSocketClientError)?.kind, .connect)
        }
        XCTAssertThrowsError(try BlockingWebSocket(url: "http://127.0.0.1/", configuration: quietConfiguration())) {
            XCTAssertEqual(($0 as? WebSocketClientError)?.kind, .invalidURL)
        }
    }

    func testClientResolvesLocalhost() throws {
        let server = try serveEcho()
        let client = try BlockingWebSocket(url: "ws://localhost:\(server.port)/", configuration: quietConfiguration())
        client.send(text: "via name")
        XCTAssertEqual(client.receive(), .text("via name"))
    }

    func testClientRefusesAServerThatIsNotWebSocket() throws {
        // A plain HTTP server answers 200 to the upgrade request.
        let server = try serve { _, respond in respond(HTTPResponse(status: 200, text: "hi")) }
        XCTAssertThrowsError(try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/", configuration: quietConfiguration())) {
            let error = $0 as? WebSocketClientError
            XCTAssertEqual(error?.kind, .rejected)
            XCTAssertEqual(error?.status, 200)
        }
    }
}

private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
