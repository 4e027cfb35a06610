import AgentHostSDK
import Foundation
import XCTest

/// `BackgroundWork.run`: the work leaves the calling thread for one at nice 19, its result comes
/// back, and the caller's own priority is untouched. (That a department's first-turn training
/// goes through it is DepartmentFirstUseTests', through a real host and the real plugins.)
final class BackgroundWorkTests: XCTestCase {
    func testWorkRunsOnAnotherThreadAtTheLowestPriorityAndReturnsItsResult() async {
        let caller = pthread_self()
        let callerNiceness = BackgroundWork.currentNiceness()
        let seen = await BackgroundWork.run { () -> (nice: Int32, sameThread: Bool, name: String, sum: Int) in
            (BackgroundWork.currentNiceness(), pthread_equal(pthread_self(), caller) != 0,
             Self.threadName(), (1...1000).reduce(0, +))
        }
        XCTAssertEqual(seen.sum, 500_500, "the work's result comes back to the awaiting caller")
        XCTAssertEqual(seen.nice, BackgroundWork.niceness, "the work runs at nice 19, below the loops' nice 0")
        XCTAssertFalse(seen.sameThread, "the work leaves the calling thread")
        XCTAssertEqual(seen.name, BackgroundWork.threadName, "named for top -H")
        XCTAssertEqual(BackgroundWork.currentNiceness(), callerNiceness, "the caller's own priority is unchanged")
    }

    /// A step runs its async code inline (the SDK's executor: it goes on on the thread that
    /// resumes it), so where `run` resumes it is where the rest of the step runs: never at nice 19,
    /// where a preempted step holding a lock a loop needs would keep that loop waiting.
    func testTheAwaitingCodeGoesOnAtNormalPriority() async {
        let seen = await Task(executorPreference: InlineTestExecutor.shared, operation: stepAwaitingBackgroundWork).value
        XCTAssertFalse(seen.hasSuffix(BackgroundWork.threadName), seen)
        XCTAssertTrue(seen.hasPrefix("19 then 0 on "), "the work at nice 19, the step after it at nice 0: \(seen)")
    }

    func testConcurrentCallsEachGetTheirOwnResult() async {
        let results = await withTaskGroup(of: Int.self) { group in
            for n in 1...16 { group.addTask { await BackgroundWork.run { n * n } } }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(results.sorted(), (1...16).map { $0 * $0 })
    }

    /// The kernel's name of the calling thread (what `top -H` shows).
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// What a step sees: the niceness its background work ran at, then its own and its thread's name after.
@Sendable private func stepAwaitingBackgroundWork() async -> String {
    let during = await BackgroundWork.run { BackgroundWork.currentNiceness() }
    return "\(during) then \(BackgroundWork.currentNiceness()) on \(BackgroundWorkTests.threadName())"
}

/// Runs each job on the thread that enqueues it, as the SDK's own executor does for a step.
final class InlineTestExecutor: TaskExecutor {
    static let shared = InlineTestExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }
}
