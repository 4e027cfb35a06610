import Host
import HostTenancy
import XCTest

/// `console:` (docs/operations.md): on by default, `enabled: false` switches it off, `api_keys`
/// must be key hashes.
final class ConsoleConfigurationTests: XCTestCase {
    let tenant = "tenants: [{id: t, entry_agent: com.x.a, plugins: [com.x.a]}]\n"

    func testTheConsoleIsOnByDefaultAndCanBeSwitchedOffWithItsOwnKeys() throws {
        XCTAssertTrue(try HostConfiguration.parse(tenant, file: "t.yaml").consoleEnabled)
        let off = try HostConfiguration.parse("console:\n  enabled: false\n" + tenant, file: "t.yaml")
        XCTAssertFalse(off.consoleEnabled)
        let keyed = try HostConfiguration.parse("console:\n  api_keys: [\"\(APIKeys.hash("k"))\"]\n" + tenant, file: "t.yaml")
        XCTAssertTrue(keyed.consoleEnabled)
        XCTAssertEqual(keyed.consoleKeyHashes, [APIKeys.hash("k")])
    }

    func testAKeyThatIsNotAHashOrAnUnknownKeyIsRefused() {
        XCTAssertThrowsError(try HostConfiguration.parse("console:\n  api_keys: [\"plain-key\"]\n" + tenant, file: "t.yaml")) { error in
            XCTAssertTrue("\(error)".contains("api_keys: not a key hash"), "\(error)")
        }
        XCTAssertThrowsError(try HostConfiguration.parse("console:\n  enable: false\n" + tenant, file: "t.yaml")) { error in
            XCTAssertTrue("\(error)".contains("enable"), "\(error)")
        }
    }
}
