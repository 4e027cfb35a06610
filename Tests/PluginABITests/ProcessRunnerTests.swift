import Foundation
import TestSupport
import XCTest

/// The runner the CLI tests use must not hang on a child that writes a lot to stderr: it used to
/// read stdout to the end first, so a child blocked on a full stderr pipe never finished (an
/// AddressSanitizer report from `agent-host call` did exactly that).
final class ProcessRunnerTests: XCTestCase {
    func testAChildFillingStderrBeforeStdoutFinishes() throws {
        let finished = LockedBox<ProcessResult?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            finished.value = try? ProcessRunner.run("sh", ["-c", "head -c 300000 /dev/zero | tr '\\0' x >&2; echo out"])
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "ProcessRunner hung on a full stderr pipe")
        let result = try XCTUnwrap(finished.value)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "out\n")
        XCTAssertEqual(result.stderr.count, 300_000)
    }
}
