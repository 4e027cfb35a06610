import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import XCTest

/// `agent-host eval scenarios` run as CI runs it, in-process (`--local`: the real plugins and a
/// real support-backend). A scenario whose expectations are wrong must fail, say which turn and
/// why, and set the exit status, or the shipped evals could pass by checking nothing.
final class ScenarioEvalCommandTests: XCTestCase {
    func run(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("timeout", ["120", BuildProducts.path("agent-host"), "eval", "scenarios"] + arguments)
    }

    func testWrongExpectationsFailWithEachReasonTheExitStatusAndJUnit() throws {
        let directory = TemporaryDirectory(prefix: "eval-scenarios")
        let file = directory.file("wrong.yaml")
        try """
        scenarios:
          - name: right about a person
            turns:
              - say: let me talk to a person
                expect: {escalated: true, ended: escalated}
          - name: wrong about a refund
            turns:
              - say: I need a refund for order ORD-12345
                expect:
                  agent: Billing Agent
                  tool: {name: lookup_order, arguments: {order_id: ORD-99999}}
                  tools_not_called: lookup_order
                  reply_contains: banana
                  escalated: true
              - say: thanks
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let junit = directory.file("evals.xml")
        let result = try run([file, "--local", "--junit", junit])

        XCTAssertEqual(result.status, 1, "a failed turn fails the command: \(result.stdout) \(result.stderr)")
        let out = result.stdout
        XCTAssertTrue(out.contains("  ok   turn 1: let me talk to a person"), "the right scenario passes: \(out)")
        XCTAssertTrue(out.contains("  FAIL turn 1: I need a refund for order ORD-12345"), out)
        XCTAssertTrue(out.contains("expected to be with Billing Agent after the turn, was with Refund Agent"), out)
        XCTAssertTrue(out.contains(#"expected a call to lookup_order with arguments including {"order_id":"ORD-99999"}; calls in the turn: lookup_order {"order_id":"ORD-12345"}"#), out)
        XCTAssertTrue(out.contains(#"expected no call to lookup_order, it was called with {"order_id":"ORD-12345"}"#), out)
        XCTAssertTrue(out.contains(#"expected the reply to contain "banana", it was: ""#), out)
        XCTAssertTrue(out.contains("expected an escalation to a person, there was none"), out)
        XCTAssertTrue(out.contains("  ok   turn 2: thanks"), "turns after a failed one still run: \(out)")
        XCTAssertTrue(out.contains("eval scenarios: 1/2 scenarios passed, 2/3 turns (text, in-process)"), out)
        XCTAssertTrue(out.contains("FAILED: wrong about a refund turn 1"), out)

        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        XCTAssertTrue(xml.contains(#"<testsuite name="wrong" tests="3" failures="1""#), xml)
        XCTAssertTrue(xml.contains(#"<testcase classname="wrong.right about a person" name="turn 1: let me talk to a person""#), xml)
        XCTAssertTrue(xml.contains(#"<failure message="expected to be with Billing Agent after the turn, was with Refund Agent">"#), xml)
        XCTAssertTrue(xml.contains("expected the reply to contain &quot;banana&quot;"), xml)
        XCTAssertNoThrow(try XMLDocument(xmlString: xml), "well-formed XML")
    }

    func testTheShippedScenariosPassInProcess() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.scenarioDirectory)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { Self.scenarioDirectory + "/" + $0 }
        XCTAssertGreaterThanOrEqual(files.count, 4, "billing, refund, faq, escalation")
        let result = try run(files + ["--local"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertFalse(result.stdout.contains("FAIL"), result.stdout)
        XCTAssertTrue(result.stdout.contains(" scenarios passed, "), result.stdout)
    }

    func testAFileThatCannotBeUsedIsBadUsageWithItsPlace() throws {
        let directory = TemporaryDirectory(prefix: "eval-scenarios")
        let file = directory.file("typo.yaml")
        try """
        scenarios:
          - name: typo
            turns:
              - say: hello
                expects: {agent: Triage Agent}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run([file, "--local"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr, "agent-host: \(file):5:9: unknown key \"expects\" in scenario \"typo\" turn 1 (allowed: say, speak, expect)\n")
        XCTAssertEqual(result.stdout, "")
    }

    func testVoiceNeedsAServedHost() throws {
        let result = try run(["x.yaml", "--local", "--voice"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("--voice needs a served host (--url URL)"), result.stderr)
    }

    /// evals/scenarios in this checkout.
    static var scenarioDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("evals/scenarios").path
    }
}
