import Foundation
import HostSessions
import XCTest

/// One interaction per session, the later-ending one (docs/protocol.md §4): a chat conversation
/// handed to another host at a drain deadline is saved twice, as `handed_over` by the host that
/// drained and again when it really ends, and the two saves may reach Redis in either order.
final class SessionStoreLaterEndTests: SessionTestCase {
    func testTheLaterEndingOfASessionWinsInEitherOrder() throws {
        let connection = connection()
        let store = SessionStore(connection: connection, logger: quietLogger)
        waitConnected(connection)
        let handedOver = interaction("moved", offset: 10, outcome: "handed_over")
        let realEnd = interaction("moved", offset: 40, outcome: "caller_hangup")
        func outcomes(_ caller: String) throws -> [String] {
            let record = try XCTUnwrap(storedRecord(tenant: "t", caller: caller))
            return (record["interactions"] as? [[String: Any]] ?? []).compactMap { $0["outcome"] as? String }
        }
        for (caller, order) in [("in-order", [handedOver, realEnd]), ("late-replay", [realEnd, handedOver])] {
            for item in order {
                let result: Result<Int, SessionStoreError>? = waitFor { store.save(item, tenant: "t", caller: caller, completion: $0) }
                XCTAssertEqual(result, .success(1), caller)
            }
            XCTAssertEqual(try outcomes(caller), ["caller_hangup"], caller)
        }
    }
}
