import Foundation
@testable import Host
import HostPlugins
import HostTestSupport
import TestSupport
import XCTest

/// The draft extensions cross the runner's wire (revision 3): an isolated SDK agent subscribes to
/// the catalog and gives voice hints exactly as in-process.
final class IsolatedDraftExtensionTests: XCTestCase {
    func testAnIsolatedRefundAgentGivesItsVoiceHintAndFetchesItsCatalogOverTheWire() throws {
        let isolated = try LocalDeployment(pluginDirectories: [BuildProducts.directory]) { configuration in
            configuration.defaultIsolation = PluginIsolation(mode: .process)
        }
        defer { isolated.shutdown() }
        let triage = isolated.tenant.entryAgent
        XCTAssertTrue(triage.instance is IsolatedInstance)
        XCTAssertEqual(triage.catalogChannel?.subscribed, true, "subscribed from inside the runner")

        let caller = Caller(isolated)
        let asked = caller.say("I want to return an item and get my money back")
        XCTAssertEqual(asked.handoffs, ["Refund Agent"], "routed from the catalog fetched over the wire: \(asked.json)")
        let conversation = caller.conversation!
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var hint: VoiceHint?
        conversation.loop.execute { hint = conversation.expectation; done.signal() }
        XCTAssertNil(done.wait(seconds: 30, for: "reading the expectation on the conversation's loop"))
        XCTAssertEqual(hint, VoiceHint(kind: .orderID), asked.reply)
    }
}
