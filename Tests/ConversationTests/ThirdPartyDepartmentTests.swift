import Foundation
import Host
import HostTestSupport
import TestSupport
import XCTest

/// A department from another vendor, enabled for one tenant only, is routable there purely from
/// its descriptor and invisible to the other tenant.
final class ThirdPartyDepartmentTests: XCTestCase {
    func testAThirdPartyDepartmentIsRoutableOnlyWhereEnabled() throws {
        let fixtures = TemporaryDirectory(prefix: "third-party")
        try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/ConversationTests/Fixtures/warranty_agent.c",
                                 includeDirectory: BuildProducts.repositoryRoot + "/Sources/PluginABI/include",
                                 output: fixtures.file("libwarranty_agent.so"))
        let withWarranty = try LocalDeployment(pluginDirectories: [BuildProducts.directory, fixtures.path]) { configuration in
            configuration.id = "acme"
            configuration.plugins.append("com.example.thirdparty.warranty")
        }
        defer { withWarranty.shutdown() }
        let without = try LocalDeployment(pluginDirectories: [BuildProducts.directory, fixtures.path], backendURL: withWarranty.backendURL) { configuration in
            configuration.id = "globex"
        }
        defer { without.shutdown() }

        let claim = "my coffee maker broke after two months and I want to claim the warranty"
        let routed = Caller(withWarranty).say(claim)
        XCTAssertEqual(routed.handoffs, ["Warranty Agent"], routed.json)
        XCTAssertTrue(routed.reply.contains("Warranty desk"), routed.reply)

        let elsewhere = Caller(without).say(claim)
        XCTAssertFalse(elsewhere.handoffs.contains("Warranty Agent"), elsewhere.json)
        XCTAssertNil(without.tenant.agent(named: "Warranty Agent"))
        XCTAssertFalse(elsewhere.events.contains { $0.json.contains("Warranty Agent") }, "not even mentioned: \(elsewhere.json)")
    }
}
