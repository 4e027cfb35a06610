import Foundation
import Host
import HostOrchestration
import XCTest

/// A tenant's `messages:` section: what the orchestration says to its callers (docs/operations.md).
extension HostConfigurationTests {
    func messagesYAML(_ body: String) -> String {
        """
        tenants:
          - id: acme
            plugins: [com.x.a]
            entry_agent: com.x.a
            messages:

        """ + body.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n") + "\n"
    }

    func testWithoutMessagesTheTenantKeepsTodaysWords() throws {
        let tenant = try parse("tenants:\n  - id: acme\n    plugins: [com.x.a]\n    entry_agent: com.x.a\n").tenants[0]
        XCTAssertEqual(tenant.messages, CallerMessages())
        XCTAssertEqual(tenant.messages.queued(position: 3, department: "billing", waitMinutes: 1),
                       "You're number 3 in line for a person on our billing team; the wait is about 1 minute.")
        XCTAssertEqual(tenant.messages.queued(position: 2, department: "refunds", waitMinutes: 6),
                       "You're number 2 in line for a person on our refunds team; the wait is about 6 minutes.")
    }

    func testMessagesReplaceTheDefaultsAndReachTheOrchestration() throws {
        let configuration = try parse(messagesYAML("""
            apology: "Perdón, algo falló. ¿Puede repetirlo?"
            queue_position: "Position {position} for {department}, about {wait}."
            """))
        let tenant = configuration.tenants[0]
        XCTAssertEqual(tenant.messages.apology, "Perdón, algo falló. ¿Puede repetirlo?")
        XCTAssertEqual(tenant.messages.noHumanAvailable, CallerMessages().noHumanAvailable, "what is not given keeps its default")
        XCTAssertEqual(configuration.tenantConfiguration(tenant).messages.queued(position: 4, department: "billing", waitMinutes: 2),
                       "Position 4 for billing, about 2 minutes.")
    }

    func testBadMessagesAreRefusedAtTheirLine() {
        XCTAssertThrowsError(try parse(messagesYAML("queue_position: \"You are {place} in line\""))) { error in
            XCTAssertTrue("\(error)".contains("unknown placeholder {place}: use {position}, {department} and {wait}"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("t.yaml:6:"), "\(error)")
        }
        XCTAssertThrowsError(try parse(messagesYAML("apology: \"  \""))) { error in
            XCTAssertTrue("\(error)".contains("must not be empty"), "\(error)")
        }
        XCTAssertThrowsError(try parse(messagesYAML("goodbye: bye"))) { error in
            XCTAssertTrue("\(error)".contains("goodbye"), "\(error)")
        }
    }
}
