import Foundation
import Synchronization
import AgentHostSDK
import SupportKit
import XCTest

/// `ClassifierCache.trained`: callers that miss the same key together share one training, a
/// hit trains nothing, and training runs at the lowest priority (BackgroundWork). (That a miss leaves the session thread free is
/// DepartmentFirstUseTests', through a real host and the real plugins.)
final class ClassifierCacheTests: XCTestCase {
    func testConcurrentMissesOfAKeyShareOneTraining() async {
        let cache = ClassifierCache()
        let builds = Mutex(0)
        let niceness = Mutex<[Int32]>([])
        let build: @Sendable () -> IntentClassifier = {
            builds.withLock { $0 += 1 }
            niceness.withLock { $0.append(BackgroundWork.currentNiceness()) }
            Thread.sleep(forTimeInterval: 0.05)  // long enough for every caller to miss meanwhile
            return IntentClassifier(classes: [("refund", ["I want a refund"]), ("billing", ["how much do I owe"])])
        }
        let labels = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<8 { group.addTask { await cache.trained(for: "k", build: build).best("refund my order")?.label } }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        XCTAssertEqual(labels, Array(repeating: "refund", count: 8))
        XCTAssertEqual(builds.withLock { $0 }, 1, "concurrent misses of one key share one training")

        _ = await cache.trained(for: "k", build: build)
        XCTAssertEqual(builds.withLock { $0 }, 1, "a hit trains nothing")
        _ = await cache.trained(for: "other", build: build)
        XCTAssertEqual(builds.withLock { $0 }, 2)
        XCTAssertEqual(niceness.withLock { $0 }, [19, 19], "training never competes with the loops (nice 0)")
    }
}
