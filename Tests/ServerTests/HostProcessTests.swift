import Foundation
import Host
import HostNet
import TestSupport
import XCTest

/// `agent-host serve` as operators run it: real processes, a real redis-server, real sockets.
final class HostProcessTests: HostProcessTestCase {
    func testACallerWhoCallsBackOnAnotherHostIsRecognised() throws {
        let first = try startHost("first").url
        let second = try startHost("second").url
        let caller = "+15554443333"
        let escalated = try post(first + "/v1/chat", #"{"caller":"\#(caller)","text":"let me talk to a person"}"#)
        XCTAssertTrue(escalated.body.contains(#""type":"end""#), escalated.body)
        // The record is written when the session ends; give the store a moment.
        var returning = false
        for _ in 0..<50 where !returning {
            let reply = try post(second + "/v1/chat", #"{"caller":"\#(caller)","text":"hello again"}"#)
            returning = reply.body.contains(#""returning":true"#)
            if !returning { usleep(50_000) }
        }
        XCTAssertTrue(returning, "the second host found the first host's record in Redis")
        let keys = try redis.cli("KEYS", "support:session:*")
        XCTAssertEqual(keys.split(separator: "\n").map(String.init), ["support:session:demo:\(caller)"], "records are keyed by tenant and caller")
        let health = try get(second + "/health")
        XCTAssertTrue(health.body.contains(#""session_store":"redis""#), health.body)
        XCTAssertTrue(health.body.contains(#""status":"ok""#), health.body)
    }

    func testSIGTERMDrainsAndPersistsALiveSession() throws {
        let host = try startHost("draining", drainSeconds: 1).url
        let caller = "+15552221111"
        let live = try post(host + "/v1/chat", #"{"caller":"\#(caller)","text":"what's my balance"}"#)
        XCTAssertEqual(live.status, 200)
        let process = try XCTUnwrap(hosts.last)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        XCTAssertFalse(process.isRunning, "the host exits after the drain deadline")
        let record = try redisGet("support:session:demo:\(caller)")
        XCTAssertTrue(record.contains(#""outcome":"shutdown""#), record)
        XCTAssertTrue(record.contains("what's my balance"), record)
    }

    /// A voice call to a served host: spoken words recognised, routed, answered in audio, and the
    /// session record in Redis carries the transcript of the call.
    func testAVoiceCallToAServedHostIsRecordedInRedis() async throws {
        let host = try startHost("voice").url
        let caller = "+15554445555"
        let speech = try await VoiceTestCaller.speech("What is my balance?")
        let call = try VoiceTestCaller(url: host.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/%2B15554445555")
        try await call.stream(VoiceTestCaller.pcmFrames(VoiceTestCaller.silence(milliseconds: 300) + speech + VoiceTestCaller.silence(milliseconds: 1_200)))
        let answered = try await call.wait { received in
            received.compactMap(\.json).contains { $0["type"] as? String == "turn_end" } && received.filter(\.isAudio).count > 25
        }
        XCTAssertTrue(answered, "answered in audio: \(call.eventTypes)")
        call.socket.send(text: #"{"type":"end"}"#)
        var record = ""
        for _ in 0..<100 where !record.contains("caller_hangup") {
            try await Task.sleep(for: .milliseconds(50))
            record = try redisGet("support:session:demo:\(caller)")
        }
        call.close()
        XCTAssertTrue(record.contains(#""outcome":"caller_hangup""#), record)
        XCTAssertTrue(record.contains("Billing Agent"), record)
        XCTAssertTrue(record.contains("balance"), "the recognised words are in the record: \(record)")
    }

    func testABadConfigurationExitsWith2AndTheLine() throws {
        let path = directory.file("bad.yaml")
        try "server:\n  port: 99999\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(BuildProducts.path("agent-host"), ["serve", "--config", path])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("bad.yaml:2:"), result.stderr)
    }

    func redisGet(_ key: String) throws -> String {
        try redis.cli("GET", key)
    }
}
