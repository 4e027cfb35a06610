import Foundation
import HostTenancy
import XCTest

/// `server.loops: auto | N` (docs/operations.md, "Loops"): accepted forms and refusals at their line.
final class LoopsConfigurationTests: XCTestCase {
    let tenants = "tenants: [{id: t, plugins: [com.x.a], entry_agent: com.x.a}]\n"

    func problem(_ yaml: String) -> String {
        do { _ = try HostConfiguration.parse(yaml, file: "t.yaml", environment: ["TW": "x"]); return "no error" } catch { return error.description }
    }

    func testLoopsAreOneUnlessSetAndAutoIsTheCores() throws {
        XCTAssertEqual(try HostConfiguration.parse(tenants, file: "t.yaml").server.loops, 1)
        XCTAssertEqual(try HostConfiguration.parse("server:\n  loops: 2\n" + tenants, file: "t.yaml").server.loops, 2)
        XCTAssertEqual(try HostConfiguration.parse("server:\n  loops: auto\n" + tenants, file: "t.yaml").server.loops,
                       ProcessInfo.processInfo.activeProcessorCount)
    }

    func testBadLoopsAreRefusedAndTwilioServesOnSeveralLoops() {
        XCTAssertEqual(problem("server:\n  loops: 0\n" + tenants), "t.yaml:2:10: server.loops: must be between 1 and 64, got 0")
        XCTAssertTrue(problem("server:\n  loops: many\n" + tenants).hasPrefix("t.yaml:2:10: server.loops:"), problem("server:\n  loops: many\n" + tenants))
        let sid = "AC" + String(repeating: "ab", count: 16)
        let twilio = "tenants:\n  - {id: t, plugins: [com.x.a], entry_agent: com.x.a, twilio: {account_sid: \"\(sid)\", auth_token_env: TW, public_url: \"https://voice.example.com/\"}}\n"
        // Twilio's state is shared by the loops or names its loop (ServerLoops): no longer refused.
        XCTAssertEqual(problem("server:\n  loops: 2\n" + twilio), "no error")
        XCTAssertEqual(problem("server:\n  loops: 1\n" + twilio), "no error")
    }
}
