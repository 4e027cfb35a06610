@testable import HostServer
import XCTest

/// Which loop a new SIP call goes to with `server.loops` > 1 (HostServer+SIPLoops): the least
/// loaded, ties in turn from `next`.
final class SIPLoopChoiceTests: XCTestCase {
    func testTheLeastLoadedLoopWinsAndTiesGoInTurn() {
        XCTAssertEqual(HostServer.leastLoadedLoop([3, 1], next: 0), 1)
        XCTAssertEqual(HostServer.leastLoadedLoop([0, 4], next: 1), 0)
        XCTAssertEqual(HostServer.leastLoadedLoop([2, 2], next: 0), 0)
        XCTAssertEqual(HostServer.leastLoadedLoop([2, 2], next: 1), 1)
        XCTAssertEqual(HostServer.leastLoadedLoop([1, 0, 0], next: 0), 1)
        XCTAssertEqual(HostServer.leastLoadedLoop([1, 0, 0], next: 2), 2)
        XCTAssertEqual(HostServer.leastLoadedLoop([], next: 0), 0)
    }
}
