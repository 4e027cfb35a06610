@testable import HostOrchestration
import XCTest

/// A step's lifecycle as a value: every ending and what it tears down, without plugins or
/// timers (DepartmentConversationTests and IsolationTests drive the same value through real
/// plugins, deadlines and crashed processes).
final class StepLifecycleTests: XCTestCase {
    typealias Lifecycle = StepLifecycle<String>

    func testRunsWaitsForToolsAndEndsOnce() {
        var step = Lifecycle()
        XCTAssertEqual(step.state, .running)
        step.toolStarted(callID: 7, tool: "lookup_order")
        XCTAssertEqual(step.state, .waitingForTool)
        step.toolCompleted(callID: 7)
        XCTAssertEqual(step.state, .running)
        XCTAssertNotNil(step.end(.finished))
        XCTAssertEqual(step.state, .ended(.finished))
        XCTAssertFalse(step.isOpen)
        XCTAssertNil(step.end(.timedOut), "the first ending wins")
        XCTAssertNil(step.end(.cancelled))
        XCTAssertEqual(step.state, .ended(.finished))
    }

    func testAStepThatEndsByItselfStopsOnlyItsDeadline() {
        for ending in [StepEnding.finished, .refused] {
            var step = Lifecycle()
            step.toolStarted(callID: 3, tool: "a")
            let teardown = step.end(ending)
            XCTAssertEqual(teardown?.cancelDriver, false, "\(ending)")
            XCTAssertEqual(teardown?.closeRoute, false, "\(ending)")
            XCTAssertEqual(teardown?.cancelAgentStep, false, "\(ending)")
            XCTAssertEqual(teardown?.cancelToolCalls.count, 0, "\(ending)")
            // A call still out completes later and is no longer pending.
            XCTAssertEqual(step.pendingTools.count, 1)
            step.toolCompleted(callID: 3)
            XCTAssertTrue(step.pendingTools.isEmpty)
        }
    }

    func testAStepTheHostGivesUpOnCancelsEverythingStillRunningInCallOrder() {
        for ending in [StepEnding.timedOut, .cancelled] {
            var step = Lifecycle()
            step.toolStarted(callID: 12, tool: "second")
            step.toolStarted(callID: 5, tool: "first")
            let teardown = step.end(ending)
            XCTAssertEqual(teardown?.cancelDriver, true, "\(ending)")
            XCTAssertEqual(teardown?.closeRoute, true, "\(ending)")
            XCTAssertEqual(teardown?.cancelAgentStep, true, "\(ending)")
            XCTAssertEqual(teardown?.cancelToolCalls.map(\.callID), [5, 12], "\(ending)")
            XCTAssertEqual(teardown?.cancelToolCalls.map(\.tool), ["first", "second"], "\(ending)")
            XCTAssertTrue(step.pendingTools.isEmpty, "cancelled calls are no longer out")
            XCTAssertEqual(step.state, .ended(ending))
        }
    }

    func testACrashedStepIsNotCancelledInItsDeadProcess() {
        var step = Lifecycle()
        step.toolStarted(callID: 1, tool: "t")
        let teardown = step.end(.crashed)
        XCTAssertEqual(teardown?.cancelAgentStep, false, "the plugin's process is gone")
        XCTAssertEqual(teardown?.cancelDriver, true)
        XCTAssertEqual(teardown?.closeRoute, true)
        XCTAssertEqual(teardown?.cancelToolCalls.map(\.callID), [1])
    }
}
