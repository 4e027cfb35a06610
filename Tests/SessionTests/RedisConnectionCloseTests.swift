import Dispatch
import Foundation
import HostSessions
import Synchronization
import XCTest

/// Closing a Redis connection (a host shutting down) against a real redis-server: the commands
/// already sent — the last cleanup of the host's sessions — reach Redis and are answered before the
/// hiredis context is freed; nothing sent after `close` goes out.
final class RedisConnectionCloseTests: SessionTestCase {
    func testCloseLetsTheCommandsAlreadySentBeAnsweredFirst() throws {
        let connection = connection()
        waitConnected(connection)
        // Big enough values that most of them still sit in hiredis's output buffer at `close`.
        let value = String(repeating: "x", count: 64 * 1024)
        let answered = Mutex(0)
        for index in 0..<100 {
            connection.send(["SET", "cleanup:\(index)", value]) { result in
                if case .success(.status("OK")) = result { answered.withLock { $0 += 1 } }
            }
        }
        let closed = DispatchSemaphore(value: 0)
        connection.close { closed.signal() }
        XCTAssertEqual(closed.wait(timeout: .now() + 5), .success, "close did not finish")
        XCTAssertEqual(answered.withLock { $0 }, 100, "commands sent before close were dropped")
        XCTAssertEqual(try redis.cli("DBSIZE"), "100")
        // After close, nothing goes out.
        let late = waitFor { connection.send(["SET", "late", "1"], completion: $0) }
        guard case .failure(.closed)? = late else { return XCTFail("a command after close: \(String(describing: late))") }
        XCTAssertEqual(try redis.cli("EXISTS", "late"), "0")
    }
}
