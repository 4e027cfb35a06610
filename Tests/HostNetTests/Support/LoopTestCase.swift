import Dispatch
import HostNet
import Synchronization
import XCTest

/// A test case with a running event loop and helpers to serve and wait.
class LoopTestCase: XCTestCase {
    var loop: EventLoop!
    private var servers: [HTTPServer] = []

    override func setUp() {
        super.setUp()
        loop = EventLoop(name: "test-loop")
        loop.start()
    }

    override func tearDown() {
        for server in servers { server.stop() }
        servers = []
        loop.stop()
        loop = nil
        super.tearDown()
    }

    /// Starts a server on an ephemeral loopback port; it stops in tearDown.
    func serve(_ handler: @escaping HTTPHandler) throws -> HTTPServer {
        try serve(HTTPServer.Configuration(), handler)
    }

    func serve(_ configuration: HTTPServer.Configuration, _ handler: @escaping HTTPHandler) throws -> HTTPServer {
        let server = HTTPServer(loop: loop, configuration: configuration, handler: handler)
        try server.start()
        servers.append(server)
        return server
    }

    /// Sends through `client` and waits for the single completion (nil on timeout).
    /// A semaphore rather than an expectation: XCTest's waiter polls its run loop in 100 ms steps.
    func fetch(_ client: HTTPClient, _ request: ClientRequest, timeout: Double = 5) -> ClientResult? {
        let box = Mutex<ClientResult?>(nil)
        let done = DispatchSemaphore(value: 0)
        client.send(request) { result in
            box.withLock { $0 = result }
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout)
        return box.withLock { $0 }
    }
}

/// Counts and remembers things from any thread.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
    var count: Int { values.withLock { $0.count } }
}
