import Foundation
import Host
import HostVoice
import TestSupport
import XCTest

/// `agent-host eval scenarios` against a served host (the built executable, as CI runs it): typed
/// over POST /v1/chat, and spoken (flite) over WS /ws/voice through the real recogniser. A wrong
/// expectation fails on either channel with its reason, so the voice eval cannot be hollow either.
final class ScenarioEvalServedTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    func scenarioFile(_ directory: TemporaryDirectory) throws -> String {
        let file = directory.file("served.yaml")
        try """
        scenarios:
          - name: refund, right
            turns:
              - say: I want a refund
                expect: {handoff: Refund Agent, agent: refund, reply_contains: order number}
          - name: refund, wrong
            turns:
              - say: I want a refund
                expect: {agent: FAQ Agent, escalated: true}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func testTypedOverChatChecksEachTurn() throws {
        let directory = TemporaryDirectory(prefix: "eval-served")
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), ["eval", "scenarios", try scenarioFile(directory), "--url", base])
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("scenario \(directory.file("served.yaml")): refund, right\n  ok   turn 1: I want a refund ("), result.stdout)
        XCTAssertTrue(result.stdout.contains("expected to be with FAQ Agent after the turn, was with Refund Agent"), result.stdout)
        XCTAssertTrue(result.stdout.contains("expected an escalation to a person, there was none"), result.stdout)
        XCTAssertTrue(result.stdout.contains("eval scenarios: 1/2 scenarios passed, 1/2 turns (text, \(base))"), result.stdout)
    }

    func testSpokenOverTheVoiceSocketChecksEachTurnAndMeasuresLatency() throws {
        let directory = TemporaryDirectory(prefix: "eval-served")
        let junit = directory.file("voice.xml")
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), ["eval", "scenarios", try scenarioFile(directory), "--url", base, "--voice", "--junit", junit])
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        let passed = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("  ok   turn 1: I want a refund (") }, result.stdout)
        // End of the caller's speech to the agent's first audio: the 800 ms silence window and more.
        let milliseconds = Int(passed.split(separator: "(").last?.split(separator: " ").first ?? "") ?? -1
        XCTAssertTrue((800...15_000).contains(milliseconds), "latency of the spoken turn: \(passed)")
        XCTAssertTrue(result.stdout.contains("expected to be with FAQ Agent after the turn, was with Refund Agent"), result.stdout)
        XCTAssertTrue(result.stdout.contains("eval scenarios: 1/2 scenarios passed, 1/2 turns (voice, \(base))"), result.stdout)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        XCTAssertTrue(xml.contains(#"<testsuites name="agent-host eval scenarios (voice, \#(base))" tests="2" failures="1""#), xml)
    }
}
