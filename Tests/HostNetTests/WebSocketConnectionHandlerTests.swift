import HostNet
import Synchronization
import XCTest

/// `WebSocketHandler(serving:)`: one object per accepted socket gets that socket's callbacks, keeps
/// its own state, and is let go once the socket is gone.
final class WebSocketConnectionHandlerTests: WebSocketTestCase {
    /// Numbers the messages of its own socket; records what it was told (loop thread only).
    final class Counter: WebSocketConnectionHandler, @unchecked Sendable {
        let name: String
        let events: Recorder<String>
        private var count = 0

        init(name: String, events: Recorder<String>) {
            self.name = name
            self.events = events
        }

        func opened(_ socket: WebSocketConnection) {
            events.append("\(name) open")
            socket.send(text: "\(name) ready")
        }
        func received(text: String, on socket: WebSocketConnection) {
            count += 1
            socket.send(text: "\(name) #\(count): \(text)")
        }
        func received(binary: [UInt8], on socket: WebSocketConnection) {
            count += 1
            socket.send(binary: [UInt8(count)] + binary)
        }
        func closed(_ socket: WebSocketConnection, code: UInt16, reason: String) {
            events.append("\(name) closed \(code) \(reason)")
        }
    }

    /// Weak references to every handler the router made, to see them go.
    final class Made: Sendable {
        private let handlers = Mutex<[Weak]>([])
        struct Weak: @unchecked Sendable { weak var handler: Counter? }
        func add(_ handler: Counter) { handlers.withLock { $0.append(Weak(handler: handler)) } }
        var alive: Int { handlers.withLock { $0.filter { $0.handler != nil }.count } }
        var count: Int { handlers.withLock { $0.count } }
    }

    func testEachSocketHasItsOwnHandlerObjectWhichIsReleasedAfterClose() throws {
        let events = Recorder<String>()
        let made = Made()
        let server = try serveWebSocket { request in
            let handler = Counter(name: String(request.path.dropFirst()), events: events)
            made.add(handler)
            return .accept(WebSocketHandler(serving: handler))
        }
        let first = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/a", configuration: quietConfiguration())
        let second = try BlockingWebSocket(url: "ws://127.0.0.1:\(server.port)/b", configuration: quietConfiguration())
        XCTAssertEqual(first.receive(), .text("a ready"))
        XCTAssertEqual(second.receive(), .text("b ready"))

        // Interleaved: each socket's count is its own object's.
        first.send(text: "one")
        XCTAssertEqual(first.receive(), .text("a #1: one"))
        second.send(text: "uno")
        XCTAssertEqual(second.receive(), .text("b #1: uno"))
        first.send(binary: [9])
        XCTAssertEqual(first.receive(), .binary([2, 9]))
        second.send(text: "dos")
        XCTAssertEqual(second.receive(), .text("b #2: dos"))

        XCTAssertEqual(first.close(code: 4001, reason: "bye a")?.code, 4001)
        XCTAssertTrue(eventually { events.all.contains("a closed 4001 bye a") }, "\(events.all)")
        XCTAssertFalse(events.all.contains { $0.hasPrefix("b closed") }, "closing one socket tells only its handler")
        second.send(text: "tres")
        XCTAssertEqual(second.receive(), .text("b #3: tres"))
        XCTAssertEqual(second.close(code: 1000, reason: "")?.code, 1000)
        XCTAssertTrue(eventually { events.all.contains("b closed 1000 ") }, "\(events.all)")

        XCTAssertEqual(made.count, 2)
        // The connection holds its handler until its TCP handle is closed; then nothing does.
        XCTAssertTrue(eventually { made.alive == 0 }, "a handler outlived its socket: \(made.alive) alive")
        XCTAssertEqual(events.all.filter { $0.hasSuffix("open") }.sorted(), ["a open", "b open"])
    }
}
