import AgentHostPluginTesting
import Foundation
import TestSupport
import XCTest

/// What a third-party author does: test an HTTP tool with the SDK harness, `grantHTTP: true`,
/// against a real backend (here the reference backend).
final class HarnessHTTPTests: XCTestCase {
    static let ids = ["lookup-order", "check-billing", "process-refund", "create-payment-plan", "search-faq", "escalate-to-human"]
        .map { "com.agenthost.commerce." + $0 }

    var backend: RunningBackend!

    override func setUpWithError() throws {
        backend = try RunningBackend()
    }

    override func tearDown() {
        backend?.stop()
    }

    func settings(url: String? = nil, timeout: Int = 3000) -> [String: String] {
        let json = #"{"backend_url":"\#(url ?? backend.url)","api_key":"\#(backend.apiKey)","timeout_ms":\#(timeout)}"#
        return Dictionary(uniqueKeysWithValues: Self.ids.map { ($0, json) })
    }

    func testTheHarnessRunsHTTPToolsAgainstARealBackend() async throws {
        let harness = try PluginHarness(path: BuildProducts.plugin("CommerceTools"), tenant: "acme", settings: settings(), grantHTTP: true)
        let order = try await harness.callTool("lookup_order", arguments: #"{"order_id":"ORD-12345"}"#)
        XCTAssertTrue(order.ok, order.output)
        XCTAssertTrue(order.output.contains(#""id":"ORD-12345""#), order.output)

        let refund = try await harness.callTool("process_refund", arguments: #"{"order_id":"ORD-22222","reason":"arrived damaged"}"#)
        XCTAssertTrue(refund.ok, refund.output)
        XCTAssertTrue(refund.output.contains(#""code":"already_refunded""#), refund.output)

        let missing = try await harness.callTool("check_billing", arguments: #"{"customer_id":"CUST-9"}"#)
        XCTAssertFalse(missing.ok)
        XCTAssertEqual(missing.output, "customer CUST-9 not found")
    }

    func testTheHarnessHTTPTimesOutAndReportsRefusedConnections() async throws {
        let silent = try SilentServer()
        defer { silent.stop() }
        let slow = try PluginHarness(path: BuildProducts.plugin("CommerceTools"), settings: settings(url: silent.url, timeout: 200), grantHTTP: true)
        let started = Date()
        let late = try await slow.callTool("search_faq", arguments: #"{"query":"shipping"}"#)
        XCTAssertFalse(late.ok)
        XCTAssertEqual(late.output, "the help-centre search did not answer in time; please try again in a moment")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5)

        backend.stop()
        let down = try PluginHarness(path: BuildProducts.plugin("CommerceTools"), settings: settings(), grantHTTP: true)
        let refused = try await down.callTool("lookup_order", arguments: #"{"order_id":"ORD-12345"}"#)
        XCTAssertFalse(refused.ok)
        XCTAssertEqual(refused.output, "the order system cannot be reached right now; please try again later")
    }

    func testWithoutGrantHTTPTheHarnessOffersNoHTTPAndTheToolsSaySo() throws {
        XCTAssertThrowsError(try PluginHarness(path: BuildProducts.plugin("CommerceTools"), settings: settings())) { error in
            XCTAssertTrue("\(error)".contains("agent_host.http/1"), "\(error)")
        }
    }
}
