import Foundation
import Host
import HostTestSupport
import TestSupport
import XCTest

/// `agent-host serve` with `telemetry:` (docs/operations.md): the spans of a chat reach an OTLP/HTTP
/// collector (the protocol-faithful `OTLPReceiver`), and those still batched when the host is told
/// to stop are sent before it exits.
final class TracingServeTests: HostProcessTestCase {
    func testAServedChatIsExportedOverOTLPAndFlushedOnSIGTERM() throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        let port = try LoopbackPort.free()
        // A long export interval: what arrives, arrives through the shutdown's flush.
        let telemetry = "telemetry:\n  otlp_endpoint: \"\(receiver.endpoint)\"\n  service_name: served-host\n  export_interval_ms: 60000\n"
        let path = directory.file("traced.yaml")
        try (telemetry + demoYAML(port: port, journal: "traced")).write(toFile: path, atomically: true, encoding: .utf8)
        let host = try launchHost("traced", config: path, port: port)

        let opened = try post(host.url + "/v1/chat", #"{"caller":"+15550007777","text":"what's my balance"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let ended = try post(host.url + "/v1/chat", #"{"session_id":"\#(opened.sessionID)","end":true}"#)
        XCTAssertEqual(ended.status, 200, ended.body)
        XCTAssertTrue(receiver.spans.isEmpty, "nothing sent before the batch's interval")

        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0, host.logText.suffix(2000).description)
        let spans = receiver.waitFor(seconds: 5) { $0.contains { $0.name == "session" } }
        XCTAssertEqual(receiver.rejected, [])
        let session = try XCTUnwrap(spans.first { $0.name == "session" }, "\(spans)\n\(host.logText.suffix(2000))")
        XCTAssertEqual(session.resource["service.name"], .string("served-host"))
        XCTAssertEqual(session.string("gen_ai.conversation.id"), opened.sessionID)
        let turn = try XCTUnwrap(spans.first { $0.name == "turn" })
        XCTAssertEqual(turn.parentSpanID, session.spanID)
        let steps = spans.filter { $0.name.hasPrefix("invoke_agent ") }
        XCTAssertFalse(steps.isEmpty, "\(spans)")
        XCTAssertTrue(steps.allSatisfy { $0.parentSpanID == turn.spanID && $0.traceID == session.traceID })
        XCTAssertFalse(spans.flatMap(\.allStrings).contains { $0.contains("balance") || $0.contains("+15550007777") }, "no caller text")
    }
}
