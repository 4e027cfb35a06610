import Dispatch
import Foundation
import HostNet
import XCTest

/// Whether a chat conversation's owner is dead rests on this probe (docs/scaling.md, "Owner
/// leases"): only a refused connection says nothing listens; anything else is unknown.
final class TCPProbeTests: XCTestCase {
    private func probe(_ port: Int, on loop: EventLoop) -> TCPProbe.Outcome? {
        let answer = OutcomeBox()
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            TCPProbe.check(loop: loop, host: "127.0.0.1", port: port) { outcome in
                answer.set(outcome)
                done.signal()
            }
        }
        _ = done.wait(timeout: .now() + 10)
        return answer.get()
    }

    func testAListenerIsListeningAndAClosedPortIsRefused() throws {
        let loop = EventLoop(name: "probe")
        loop.start()
        defer { loop.stop() }
        let server = HTTPServer(loop: loop) { _, respond in respond(HTTPResponse(status: 204)) }
        try server.start()
        let port = server.port
        XCTAssertEqual(probe(port, on: loop), .listening)
        server.stop()
        guard case .refused = probe(port, on: loop) else { return XCTFail("a closed loopback port refuses") }
    }

    func testOnlyARefusalMeansDead() {
        XCTAssertEqual(TCPProbe.outcome(0), .listening)
        // libuv's codes are negative errno values (Linux numbers; their names are checked).
        let refused: Int32 = -111
        XCTAssertEqual(UVError(refused).name, "ECONNREFUSED")
        if case .refused = TCPProbe.outcome(refused) {} else { XCTFail("ECONNREFUSED: nothing listens") }
        // A partition in front of a live owner must never read as its death.
        for (code, name) in [(Int32(-113), "EHOSTUNREACH"), (-101, "ENETUNREACH"), (-110, "ETIMEDOUT"), (-104, "ECONNRESET")] {
            XCTAssertEqual(UVError(code).name, name)
            XCTAssertEqual(TCPProbe.outcome(code), .noAnswer, name)
        }
    }
}

private final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: TCPProbe.Outcome?
    func set(_ outcome: TCPProbe.Outcome) { lock.lock(); value = outcome; lock.unlock() }
    func get() -> TCPProbe.Outcome? { lock.lock(); defer { lock.unlock() }; return value }
}
