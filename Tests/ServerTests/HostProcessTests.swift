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
        // A lone host has nobody to hand the conversation over to (docs/scaling.md): it ends here.
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

    /// Operators (systemd, a supervisor, `serve > host.log &` in a script) wait for the listening
    /// line in a file: it must be there while the host runs, not when it exits.
    func testTheListeningLineReachesAFileWhileTheHostRuns() throws {
        // startHost sends the host's stdout and stderr to a file and waits for /ready.
        let host = try startHost("banner")
        var written = ""
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !written.contains("agent-host listening on") {
            written = host.logText
            usleep(20_000)
        }
        XCTAssertTrue(host.process.isRunning, "the host is still serving")
        XCTAssertTrue(written.contains("agent-host listening on \(host.url)\n"), "the line is in the file before the host exits: \(written)")
        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0)
    }

    /// `POST /v1/chat {"session_id":…,"end":true}` ends a chat session (the server side of the
    /// chat client's end of input).
    func assertTheHostEndsChatSessions(_ host: String) throws {
        let opened = try post(host + "/v1/chat", #"{"caller":"+15550009999","text":"hello"}"#)
        let id = (try? JSONSerialization.jsonObject(with: Data(opened.body.utf8)) as? [String: Any])?["session_id"] as? String ?? ""
        let ended = try post(host + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#)
        XCTAssertEqual(ended.status, 200, ended.body)
        XCTAssertTrue(ended.body.contains(#""type":"end""#) && ended.body.contains("caller_hangup"), ended.body)
    }

    /// `agent-host chat --url` started with `input` on a pipe (left open when `closeInput` is false).
    func startChat(_ host: String, caller: String, input: String, closeInput: Bool = true) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuildProducts.path("agent-host"))
        process.arguments = ["chat", "--url", host, "--caller", caller]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        if closeInput { try stdin.fileHandleForWriting.close() }
        return (process, stdin, stdout)
    }

    /// Whether `process` exited within `seconds`; if not it is killed (and reaped), so its status can be read.
    func waitForExit(_ process: Process, seconds: Double) -> Bool {
        process.waitForExit(seconds: seconds)
    }

    func activeSessions(_ host: String) throws -> Int? {
        let health = try get(host + "/health")
        return (try? JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any])?["active_sessions"] as? Int
    }

    /// Piped input ends: the chat ends its session on the host, which records it at once and
    /// frees the caller's slot (it idled for 5 minutes before, and a third chat got 429).
    func testChatEndsItsSessionWhenItsInputEnds() throws {
        let host = try startHost("chat-eof").url
        try assertTheHostEndsChatSessions(host)
        let caller = "+15557770001"
        let started = Date()
        let (chat, _, stdout) = try startChat(host, caller: caller, input: "I want a refund for order ORD-77310\n")
        let exited = waitForExit(chat, seconds: 15)
        XCTAssertTrue(exited, "the chat exits when its input ends")
        XCTAssertEqual(chat.terminationStatus, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "promptly, not after an idle timeout")
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(output.contains("Refund Agent:"), output)
        XCTAssertTrue(output.contains("[session ended: caller_hangup]"), output)
        XCTAssertEqual(try activeSessions(host), 0)
        var record = ""
        for _ in 0..<100 where !record.contains("caller_hangup") {
            record = try redisGet("support:session:demo:\(caller)")
            if !record.contains("caller_hangup") { usleep(50_000) }
        }
        XCTAssertTrue(record.contains(#""outcome":"caller_hangup""#) && record.contains("ORD-77310"), record)
        // Three chats in a row from one caller (max 2 concurrent sessions): none is refused.
        for _ in 0..<3 {
            let (again, _, _) = try startChat(host, caller: caller, input: "hello\n")
            XCTAssertTrue(waitForExit(again, seconds: 15))
            XCTAssertEqual(again.terminationStatus, 0, "not 429: the earlier sessions were ended")
        }
    }

    /// Ctrl-C between turns ends the session on the host as the end of input does.
    func testChatEndsItsSessionOnCtrlC() throws {
        let host = try startHost("chat-sigint").url
        try assertTheHostEndsChatSessions(host)
        let (chat, stdin, stdout) = try startChat(host, caller: "+15557770002", input: "what's my balance\n", closeInput: false)
        defer { try? stdin.fileHandleForWriting.close() }
        var opened = false
        for _ in 0..<200 where !opened {
            let live = try activeSessions(host)
            let metrics = try get(host + "/metrics").body
            opened = live == 1 && metrics.contains(#"to="Billing Agent""#)
            if !opened { usleep(50_000) }
        }
        XCTAssertTrue(opened, "the turn was answered")
        usleep(200_000)  // the reply printed; the chat waits for the next line
        kill(chat.processIdentifier, SIGINT)
        let exited = waitForExit(chat, seconds: 10)
        XCTAssertTrue(exited, "Ctrl-C ends the chat")
        XCTAssertEqual(chat.terminationStatus, 0)
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(output.contains("[session ended: caller_hangup]"), output)
        XCTAssertEqual(try activeSessions(host), 0)
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
