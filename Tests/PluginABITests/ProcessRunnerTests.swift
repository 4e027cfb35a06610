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

    /// The fleet tests' load threads each run curl: many children at once from worker threads
    /// must all be reaped (Foundation's waitUntilExit parked one such thread for ever in CI).
    func testConcurrentRunsFromWorkerThreadsAllFinish() {
        let group = DispatchGroup()
        let outputs = LockedBox<[String]>([])
        for worker in 0..<4 {
            DispatchQueue.global().async(group: group) {
                for run in 0..<40 {
                    let out = (try? ProcessRunner.run("sh", ["-c", "echo \(worker)-\(run)"]))?.stdout ?? "failed"
                    outputs.mutate { $0.append(out) }
                }
            }
        }
        XCTAssertNil(group.wait(seconds: 60, for: "160 runs on 4 threads"))
        XCTAssertEqual(outputs.value.count, 160)
        XCTAssertEqual(Set(outputs.value).count, 160, "every run got its own output: \(outputs.value.filter { !$0.hasSuffix("\n") })")
    }

    /// A child that outlives its deadline is killed, and the error quotes what it printed.
    func testAChildPastItsDeadlineIsKilledAndReported() {
        let started = Date()
        XCTAssertThrowsError(try ProcessRunner.run("sh", ["-c", "echo working; exec sleep 30"], timeoutSeconds: 1)) { error in
            XCTAssertTrue("\(error)".contains("deadline") && "\(error)".contains("working"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// A grandchild left running with the pipes open (a daemon, a background job) does not keep
    /// the run waiting for an end of file that never comes: the child's exit ends it.
    func testABackgroundGrandchildHoldingThePipesDoesNotBlock() throws {
        let started = Date()
        let result = try ProcessRunner.run("sh", ["-c", "sleep 20 & echo started"], timeoutSeconds: 15)
        XCTAssertEqual(result.stdout, "started\n")
        XCTAssertEqual(result.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testInputReachesTheChildAndTheExitStatusComesBack() throws {
        let result = try ProcessRunner.run("sh", ["-c", "cat; exit 3"], input: "hello")
        XCTAssertEqual(result.stdout, "hello")
        XCTAssertEqual(result.status, 3)
        XCTAssertThrowsError(try ProcessRunner.run("/nonexistent/tool", []))
    }
}
