import CLibUV
import Foundation
import Glibc
import HostNet
import XCTest

/// Whether a chat conversation's owner is dead rests on this probe (docs/scaling.md, "Owner
/// leases"): only a refused connection says nothing listens; anything else is unknown.
final class TCPProbeTests: XCTestCase {
    private func probe(_ host: String, _ port: Int, timeout: UInt64 = 1_000) -> TCPProbe.Outcome? {
        let loop = EventLoop(name: "probe")
        loop.start()
        defer { loop.stop() }
        let answer = LockedOutcome()
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            TCPProbe.check(loop: loop, host: host, port: port, timeoutMilliseconds: timeout) { outcome in
                answer.set(outcome)
                done.signal()
            }
        }
        _ = done.wait(timeout: .now() + 10)
        return answer.get()
    }

    func testAListenerIsListeningAndAClosedPortIsRefused() throws {
        // A real listener on loopback, then the same port closed.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        XCTAssertEqual(listen(fd, 4), 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        XCTAssertEqual(probe("127.0.0.1", port), .listening)
        close(fd)
        guard case .refused = probe("127.0.0.1", port) else { return XCTFail("a closed loopback port refuses") }
    }

    func testOnlyARefusalMeansDead() {
        XCTAssertEqual(TCPProbe.outcome(0), .listening)
        if case .refused = TCPProbe.outcome(UV_ECONNREFUSED.rawValue) {} else { XCTFail("ECONNREFUSED: nothing listens") }
        // A partition in front of a live owner must never read as its death.
        for code in [UV_EHOSTUNREACH, UV_ENETUNREACH, UV_ETIMEDOUT, UV_ECONNRESET] {
            XCTAssertEqual(TCPProbe.outcome(code.rawValue), .noAnswer, "\(UVError(code.rawValue).name)")
        }
    }
}

private final class LockedOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var value: TCPProbe.Outcome?
    func set(_ outcome: TCPProbe.Outcome) { lock.withLock { value = outcome } }
    func get() -> TCPProbe.Outcome? { lock.withLock { value } }
}
