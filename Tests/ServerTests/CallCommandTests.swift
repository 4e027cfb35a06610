import Foundation
import Host
import HostAudio
import HostVoice
import TestSupport
import XCTest

/// `agent-host call` as a person runs it: the built executable against a served host with voice.
final class CallCommandTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    func testASpokenRefundRequestIsHeardHandedToRefundAndItsAnswerSaved() throws {
        let directory = TemporaryDirectory(prefix: "call-command")
        let reply = directory.file("reply.wav")
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), [
            "call", "--say", "I need a refund for order one two three four five", "--url", base, "--out", reply, "--json",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let events = result.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let types = events.compactMap { $0["type"] as? String }
        XCTAssertEqual(types.first, "session", "events print one JSON object per line as received: \(result.stdout)")
        XCTAssertTrue(types.contains("speech_started") && types.contains("speech_stopped"), "\(types)")
        // The final transcript (partial ones, `final: false`, may come first while the caller talks).
        let heard = events.first { $0["type"] as? String == "user" && $0["final"] as? Bool == true }?["text"] as? String ?? ""
        XCTAssertTrue(heard.contains("refund"), "recognised: \(heard)")
        XCTAssertTrue(events.contains { $0["type"] as? String == "handoff" && $0["to"] as? String == "Refund Agent" }, "\(types)")
        XCTAssertTrue(events.contains { $0["type"] as? String == "end" && $0["reason"] as? String == "caller_hangup" }, "\(types)")
        // The client's own line per turn: end of the caller's speech to the agent's first audio.
        let latency = try XCTUnwrap(events.first { $0["type"] as? String == "call_latency" }, "\(types)")
        XCTAssertEqual(latency["turn"] as? Int, 1)
        let milliseconds = try XCTUnwrap(latency["end_of_speech_to_first_audio_ms"] as? Int)
        XCTAssertTrue((300...10_000).contains(milliseconds), "the server's silence window and more, not a stale clock: \(milliseconds) ms")
        XCTAssertLessThan(types.firstIndex(of: "speech_stopped") ?? .max, types.firstIndex(of: "call_latency") ?? -1, "\(types)")

        let audio = try WAVFile.read(path: reply)
        XCTAssertEqual(audio.sampleRate, 16_000)
        XCTAssertGreaterThan(audio.seconds, 2, "the agent's spoken answer was saved")
        XCTAssertGreaterThan(audio.samples.lazy.map { abs(Int($0)) }.max() ?? 0, 1_000, "it is speech, not silence")
        XCTAssertTrue(result.stderr.contains("saved to \(reply)"), result.stderr)
    }

    /// The host plays an escalation's last words after the session's `end` and closes the line
    /// when they have played: the call keeps receiving until then (it saved 0.0 s before).
    func testAnEscalationsLastWordsAreSavedAndTheTurnsLatencyPrinted() throws {
        let directory = TemporaryDirectory(prefix: "call-command")
        let reply = directory.file("reply.wav")
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), [
            "call", "--say", "I want to talk to a person", "--url", base, "--out", reply,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("[escalated to general"), result.stdout)
        XCTAssertTrue(result.stdout.contains("[session ended: escalated]"), result.stdout)
        let audio = try WAVFile.read(path: reply)
        XCTAssertGreaterThan(audio.seconds, 0.5, "the agent's last words were saved: \(result.stderr)")
        XCTAssertGreaterThan(audio.samples.lazy.map { abs(Int($0)) }.max() ?? 0, 1_000, "speech, not silence")
        let line = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("[latency, turn 1: ") }, result.stdout)
        XCTAssertTrue(line.hasSuffix(" ms from the end of the caller's speech to the agent's first audio]"), String(line))
    }

    func testAMissingFileIsBadUsageWithTheReason() throws {
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), ["call", "--wav", "/nonexistent/caller.wav", "--url", base])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr, "agent-host: cannot access /nonexistent/caller.wav: no such file\n")
        XCTAssertEqual(result.stdout, "")
    }

    func testANonWAVFileIsRefusedBeforeConnecting() throws {
        let directory = TemporaryDirectory(prefix: "call-command")
        let path = directory.file("notes.wav")
        try "these are not audio samples".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), ["call", "--wav", path, "--url", "http://127.0.0.1:1"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("is not a WAV file"), result.stderr)
    }

    func testAHostThatIsNotThereIsARuntimeFailure() throws {
        let directory = TemporaryDirectory(prefix: "call-command")
        let path = directory.file("hello.wav")
        try WAVFile.write(WAVAudio(samples: [Int16](repeating: 0, count: 8_000), sampleRate: 8_000), to: path)
        let port = try LoopbackPort.free()
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), ["call", "--wav", path, "--url", "http://127.0.0.1:\(port)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("cannot start a call") && result.stderr.contains("connection refused"), result.stderr)
    }
}
