import CLibUV
import HostNet
import XCTest

/// libuv failures keep their code: callers can tell them apart without matching message text.
final class UVErrorTests: XCTestCase {
    func testKeepsTheCodeAndReadsAsLibuvsMessage() {
        let refused = UV_ECONNREFUSED.rawValue  // libuv's codes are negative errno values
        let error = UVError(refused)
        XCTAssertEqual(error.code, refused)
        XCTAssertEqual(error.name, "ECONNREFUSED")
        XCTAssertEqual("\(error)", "connection refused")
        XCTAssertNotEqual(error, UVError(UV_EADDRINUSE.rawValue))
    }
}
