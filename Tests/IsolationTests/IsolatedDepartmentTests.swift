import Foundation
import Host
import HostPlugins
import HostTestSupport
import TestSupport
import XCTest

/// The reference departments (Triage, Billing, Refund, FAQ) and the commerce tools, every one in
/// a plugin runner process, hold the same refund conversation as in-process.
final class IsolatedDepartmentTests: XCTestCase {
    func testARefundConversationIsolatedMatchesInProcess() throws {
        let script = ["I need a refund for order ORD-77310", "it arrived damaged", "yes please"]
        let inProcess = try LocalDeployment(pluginDirectories: [BuildProducts.directory])
        defer { inProcess.shutdown() }
        let isolated = try LocalDeployment(pluginDirectories: [BuildProducts.directory]) { configuration in
            configuration.defaultIsolation = PluginIsolation(mode: .process)
        }
        defer { isolated.shutdown() }
        let components = Array(isolated.tenant.agents.values.map(\.instance)) + Array(isolated.tenant.tools.values)
        XCTAssertEqual(components.count, inProcess.tenant.agents.count + inProcess.tenant.tools.count)
        XCTAssertTrue(components.allSatisfy { $0 is IsolatedInstance }, "every component runs in a runner")
        XCTAssertTrue(inProcess.tenant.agents.values.allSatisfy { $0.instance is PluginInstance })

        let here = Caller(inProcess), there = Caller(isolated)
        for line in script {
            let expected = here.say(line), actual = there.say(line)
            XCTAssertEqual(actual.shape, expected.shape, "\(line)\nisolated:\n\(actual.json)\nin-process:\n\(expected.json)")
            XCTAssertEqual(actual.reply, expected.reply, line)
        }
        let events = there.allEvents
        XCTAssertTrue(events.contains { if case .toolCall(_, "process_refund", _, _) = $0 { true } else { false } }, "the refund was processed through the isolated tool")
        XCTAssertTrue(events.contains { if case .agent(_, let text) = $0 { text.contains("business days") } else { false } })
    }
}
