import Foundation
import HostNet
import TestSupport
import XCTest

/// Operators find the host's threads by name (`top -H`, /proc/PID/task/TID/comm; docs/operations.md,
/// "Threads"): a started loop's thread carries its name, cut to Linux's 15 bytes, and says its TID.
final class ThreadNameTests: XCTestCase {
    func testAStartedLoopNamesItsThreadAndKnowsItsTID() throws {
        let loop = EventLoop(name: "thread-name-test", threadName: "loop-7")
        loop.start()
        defer { loop.stop() }
        XCTAssertEqual(loop.submitAndWait { ThreadName.current }, "loop-7")
        let tid = loop.threadID
        XCTAssertGreaterThan(tid, 0)
        XCTAssertNotEqual(tid, getpid(), "the loop runs on a thread of its own")
        let comm = try String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)
        XCTAssertEqual(comm.trimmingCharacters(in: .newlines), "loop-7", "the kernel sees the name under the loop's TID")
    }

    func testLongNamesAreCutToFifteenBytesNotRefused() {
        let loop = EventLoop(name: "a-loop-with-a-rather-long-name")
        loop.start()
        defer { loop.stop() }
        XCTAssertEqual(loop.submitAndWait { ThreadName.current }, "a-loop-with-a-r")
        // A cut never splits a UTF-8 sequence: "é" is two bytes at offsets 14-15.
        let accented = EventLoop(name: "fourteen-bytesé")
        accented.start()
        defer { accented.stop() }
        XCTAssertEqual(accented.submitAndWait { ThreadName.current }, "fourteen-bytes")
    }

    func testAWatchdogThreadIsNamedAfterItsLoop() throws {
        let loop = EventLoop(name: "watched", threadName: "loop-3")
        loop.start()
        defer { loop.stop() }
        let watchdog = LoopWatchdog(loop: loop) { _ in }
        XCTAssertTrue(watchdog.start())
        defer { watchdog.stop() }
        // The watchdog's thread names itself as it starts: give it up to 2 s.
        var names: [String] = []
        let deadline = Date().addingTimeInterval(2)
        repeat {
            names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap {
                try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
            }
            if names.contains("wd-loop-3") { break }
            usleep(10_000)
        } while Date() < deadline
        XCTAssertTrue(names.contains("wd-loop-3"), "\(names)")
    }
}
