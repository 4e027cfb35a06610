import AgentHostPluginTesting
import Foundation
import TestSupport
import XCTest

/// The harness third parties use in their own tests, driving our built plugins through the ABI.
final class PluginHarnessTests: XCTestCase {
    func testTheHarnessCallsACPluginsTool() async throws {
        let harness = try PluginHarness(path: BuildProducts.plugin("StoreHours"))
        XCTAssertEqual(harness.components.map(\.toolName), ["store_hours"])
        let christmas = try await harness.callTool("store_hours", arguments: #"{"date":"2026-12-25"}"#)
        XCTAssertTrue(christmas.ok)
        XCTAssertTrue(christmas.output.contains(#""open":false"#), christmas.output)
        XCTAssertTrue(christmas.output.contains("Christmas"), christmas.output)
        let weekday = try await harness.callTool("store_hours", arguments: #"{"date":"2026-11-24"}"#)
        XCTAssertTrue(weekday.output.contains(#""opens":"09:00""#), weekday.output)
        let malformed = try await harness.callTool("store_hours", arguments: #"{"date":"25/12/2026"}"#)
        XCTAssertFalse(malformed.ok)
        XCTAssertEqual(malformed.output, "date must be YYYY-MM-DD, got '25/12/2026'")
    }

    func testTheHarnessDrivesASwiftAgentAcrossStepsWithToolsFromTheSamePlugin() async throws {
        let harness = try PluginHarness(path: BuildProducts.plugin("SwiftSamples"), settings: ["com.agenthost.samples.quote": #"{"currency":"GBP"}"#])
        let step = try await harness.step(agent: "com.agenthost.samples.relay", input: #"tool quote_price {"sku":"PACK-03","quantity":2}"#)
        XCTAssertEqual(step.status, 0)
        XCTAssertEqual(step.said, [#"Result: {"currency":"GBP","quantity":2,"sku":"PACK-03","total":179.98,"unit_price":89.99}"#])

        let handoff = try await harness.step(agent: "com.agenthost.samples.relay", input: "handoff com.example.billing")
        XCTAssertEqual(handoff.handoffTarget, "com.example.billing")

        let refused = try await harness.step(agent: "com.agenthost.samples.relay", input: "tool not_a_tool")
        XCTAssertEqual(refused.said, ["That failed: the tool not_a_tool is not available here"])
    }

    func testTheHarnessRoutesUnknownToolsToTheTestsHandler() async throws {
        let harness = try PluginHarness(path: BuildProducts.plugin("SwiftSamples"))
        harness.toolHandler = { name, arguments in (true, "stub \(name) \(arguments)") }
        let step = try await harness.step(agent: "com.agenthost.samples.relay", input: #"tool lookup_order {"order_id":"ORD-1"}"#)
        XCTAssertEqual(step.said, [#"Result: stub lookup_order {"order_id":"ORD-1"}"#])
    }

    func testTheHarnessRefusesAPluginFromAnotherABIMajor() throws {
        let dir = TemporaryDirectory()
        try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures/plugins/abi_v2.c",
                                 includeDirectory: BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures/abi-1.0/include",
                                 output: dir.file("libabi_v2.so"))
        XCTAssertThrowsError(try PluginHarness(path: dir.file("libabi_v2.so"))) { error in
            XCTAssertTrue("\(error)".contains("built for ABI 2.0"), "\(error)")
        }
    }
}
