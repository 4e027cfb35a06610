import AgentHostPluginTesting
import Foundation
import XCTest

final class OrderStatusToolTests: XCTestCase {
    /// The built plugin sits next to the test bundle.
    var pluginPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (exe as NSString).deletingLastPathComponent + "/libOrderStatusTool.so"
    }

    func testKnownOrder() async throws {
        let plugin = try PluginHarness(path: pluginPath)
        let result = try await plugin.callTool("order_status", arguments: #"{"order_id":"ord-12345"}"#)
        XCTAssertTrue(result.ok)
        XCTAssertEqual(result.output, "Order ORD-12345 was delivered on Monday.")
    }

    func testUnknownOrderIsAFailureTheAgentCanSay() async throws {
        let plugin = try PluginHarness(path: pluginPath)
        let result = try await plugin.callTool("order_status", arguments: #"{"order_id":"ORD-1"}"#)
        XCTAssertFalse(result.ok)
        XCTAssertEqual(result.output, "I could not find order ORD-1")
    }
}
