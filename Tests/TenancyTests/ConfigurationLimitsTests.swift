import HostTenancy
import XCTest

/// Settings are converted to JSON by walking the YAML; a small file must not be able to make
/// that walk endless (alias bombs) or overflow the stack (deep nesting).
final class ConfigurationLimitsTests: XCTestCase {
    private func tenant(settings: String) -> String {
        """
        tenants:
          - id: acme
            plugins: [com.agenthost.support.triage]
            entry_agent: com.agenthost.support.triage
            settings:
              com.agenthost.support.triage:
        \(settings)
        """
    }

    func testAliasesThatExpandToBillionsOfValuesAreRefusedQuickly() throws {
        // 639 bytes that stand for 9^9 lists: loading never finished before (killed after 2 minutes).
        var lines = [#"        a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        for level in 1...8 { lines.append("        a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]") }
        let started = Date()
        XCTAssertThrowsError(try HostConfiguration.parse(tenant(settings: lines.joined(separator: "\n")), file: "t.yaml")) { error in
            XCTAssertTrue("\(error)".contains("expands to more than 100000 values"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("t.yaml:"), "the error has a place: \(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        // Aliases as the example configuration uses them are fine.
        let shared = "        a: &shared {backend_url: http://127.0.0.1:8090, timeout_ms: 3000}\n        b: *shared\n        c: [*shared, *shared]"
        XCTAssertEqual(try HostConfiguration.parse(tenant(settings: shared), file: "t.yaml").tenants.count, 1)
    }

    func testDeeplyNestedSettingsAreRefusedNotAStackOverflow() throws {
        // 5,000 nested lists overflowed the stack in the settings conversion.
        let deep = "        a: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertThrowsError(try HostConfiguration.parse(tenant(settings: deep), file: "t.yaml")) { error in
            XCTAssertTrue("\(error)".contains("nests deeper than 64 levels"), "\(error)")
        }
        let fine = "        a: " + String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        XCTAssertEqual(try HostConfiguration.parse(tenant(settings: fine), file: "t.yaml").tenants.count, 1)
    }

    /// Yams composes recursively: 20,000 nested lists (5,000 under AddressSanitizer) overflowed
    /// the stack inside Yams, wherever they are in the file. They are refused before Yams sees them.
    func testYAMLNestedDeeperThanYamsCanComposeIsRefusedWithItsPlace() throws {
        let flow = "tenants: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        let block = "tenants:\n" + String(repeating: "- ", count: 20_000) + "x\n"
        for (yaml, place) in [(flow, "t.yaml:1:"), (block, "t.yaml:2:")] {
            XCTAssertThrowsError(try HostConfiguration.parse(yaml, file: "t.yaml")) { error in
                XCTAssertTrue("\(error)".contains("the YAML nests deeper than 1000 levels"), "\(error)")
                XCTAssertTrue("\(error)".hasPrefix(place), "\(error)")
            }
        }
        // A syntax error is still Yams' to report, with its place.
        XCTAssertThrowsError(try HostConfiguration.parse("tenants: [a, b\n", file: "t.yaml")) { error in
            XCTAssertTrue("\(error)".contains("invalid YAML"), "\(error)")
        }
    }
}
