import Foundation
import Host
import HostNet
import TestSupport
import XCTest

/// `server.loops: 2` (docs/operations.md, "Loops"): a served host whose two loops each accept on
/// the same port. Real processes, real Redis, real sockets; which loop a connection lands on is the
/// kernel's choice (SO_REUSEPORT), so the tests open sessions until both loops hold some and read
/// each loop's share from /metrics.
final class LoopsServeTests: HostProcessTestCase {
    static let loops = "  loops: 2"

    func testChatSessionsSpreadOverBothLoopsAndEachContinuesFromAnyConnection() throws {
        let host = try startHost("loops-chat", server: Self.loops)
        let opened = try openChatsOnBothLoops(host, prefix: "+1555010")
        let perLoop = try loopSessions(host)
        XCTAssertTrue(perLoop.allSatisfy { $0 >= 2 }, "both loops serve sessions: \(perLoop)")
        XCTAssertEqual(try metric(host, "agent_host_active_sessions"), Double(opened.count), "the host's total counts every loop")
        let health = try get(host.url + "/health")
        XCTAssertTrue(health.body.contains(#""active_sessions":\#(opened.count)"#), health.body)
        // Each later turn comes on a new connection: about half land on the other loop and are
        // handed to the loop that owns the session.
        for (caller, session) in opened {
            let turn = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","session_id":"\#(session)","text":"I need a refund for order ORD-12345"}"#)
            XCTAssertEqual(turn.status, 200, turn.body)
            XCTAssertEqual(turn.sessionID, session)
            XCTAssertTrue(turn.types.contains("tool_result"), turn.body)
            let ended = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","session_id":"\#(session)","end":true}"#)
            XCTAssertTrue(ended.types.contains("end"), ended.body)
        }
        XCTAssertTrue(try eventually { try loopSessions(host) == [0, 0] }, "every session left its loop")
        XCTAssertTrue(try eventually { try storedSessionIDs(caller: opened[0].caller) == [opened[0].session] })
    }

    func testVoiceCallsAreAnsweredOnBothLoops() async throws {
        let host = try startHost("loops-voice", server: Self.loops)
        let ws = host.url.replacingOccurrences(of: "http://", with: "ws://")
        // Open calls until one lives on each loop (a call is counted once its session exists).
        var calls: [Int: VoiceTestCaller] = [:]
        var spare: [VoiceTestCaller] = []
        for index in 0..<16 where calls.count < 2 {
            let before = try loopSessions(host)
            let call = try VoiceTestCaller(url: ws + "/ws/voice/%2B1555020\(String(format: "%04d", index))")
            var after = before
            for _ in 0..<200 where after.reduce(0, +) == before.reduce(0, +) {
                try await Task.sleep(for: .milliseconds(25))
                after = try loopSessions(host)
            }
            guard let loop = (0..<2).first(where: { after[$0] > before[$0] }) else { XCTFail("the call never got a session"); return }
            if calls[loop] == nil { calls[loop] = call } else { spare.append(call) }
        }
        XCTAssertEqual(calls.count, 2, "calls on both loops")
        let speech = try await VoiceTestCaller.speech("What is my balance?")
        let frames = VoiceTestCaller.pcmFrames(VoiceTestCaller.silence(milliseconds: 300) + speech + VoiceTestCaller.silence(milliseconds: 1_200))
        for call in calls.values { _ = try await call.stream(frames) }
        for (loop, call) in calls {
            let answered = try await call.wait { received in
                received.compactMap(\.json).contains { $0["type"] as? String == "turn_end" } && received.filter(\.isAudio).count > 25
            }
            XCTAssertTrue(answered, "the call on loop \(loop) is answered in audio: \(call.eventTypes)")
            XCTAssertTrue(call.events.contains { ($0["text"] as? String)?.lowercased().contains("balance") == true }
                          || call.eventTypes.contains("handoff"), "the call on loop \(loop) was understood: \(call.events)")
        }
        for call in Array(calls.values) + spare { call.close() }
        XCTAssertTrue(try eventually(15) { try loopSessions(host) == [0, 0] }, "every call ended")
    }

    func testSIGTERMWithTwoLoopsEndsEverySessionAndKeepsEveryRecord() throws {
        let host = try startHost("loops-drain", drainSeconds: 1, server: Self.loops)
        let opened = try openChatsOnBothLoops(host, each: 3, prefix: "+1555030")
        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0, "drained with every record placed:\n\(String(host.logText.suffix(2000)))")
        XCTAssertTrue(host.logText.contains("drained (loop 0)"), String(host.logText.suffix(2000)))
        XCTAssertTrue(host.logText.contains("drained (loop 1)"), String(host.logText.suffix(2000)))
        for (caller, session) in opened {
            let record = try redis.cli("GET", "support:session:demo:\(caller)")
            // A lone host hands nothing over (docs/scaling.md): its conversations end `shutdown`.
            XCTAssertTrue(record.contains(session) && record.contains(#""outcome":"shutdown""#), "\(caller): \(record)")
        }
    }

    func testAReloadAppliesOnBothLoops() throws {
        let port = try LoopbackPort.free()
        let config = directory.file("loops-reload.yaml")
        try demoYAML(port: port, journal: "loops-reload", server: Self.loops,
                     plugins: "  cache_directory: \"\(directory.file("cache"))\"").write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("loops-reload", config: config, port: port)
        XCTAssertEqual(try post(host.url + "/v1/chat?tenant=beta", #"{"caller":"+15550400","text":"hello"}"#).status, 404)
        let beta = """
          - id: beta
            entry_agent: com.agenthost.support.faq
            plugins: [com.agenthost.support.faq, com.agenthost.commerce.search-faq]
            settings:
              com.agenthost.commerce.search-faq: {backend_url: "\(backend.url)", api_key: "\(backend.apiKey)"}

        """
        try demoYAML(port: port, journal: "loops-reload", server: Self.loops,
                     plugins: "  cache_directory: \"\(directory.file("cache"))\"", extraTenants: beta)
            .write(toFile: config, atomically: true, encoding: .utf8)
        kill(host.pid, SIGHUP)
        XCTAssertTrue(eventually(60) { host.logText.contains("[reload] ") }, String(host.logText.suffix(2000)))
        XCTAssertTrue(host.logText.contains("applied (requested by SIGHUP)"), String(host.logText.suffix(2000)))
        // New connections land on either loop: every one knows the new tenant, until both loops served it.
        for index in 0..<40 {
            let reply = try post(host.url + "/v1/chat?tenant=beta", #"{"caller":"+1555041\#(String(format: "%04d", index))","text":"what are your opening hours?"}"#)
            XCTAssertEqual(reply.status, 200, reply.body)
            if index >= 3, try loopSessions(host).allSatisfy({ $0 >= 2 }) { break }
        }
        let perLoop = try loopSessions(host)
        XCTAssertTrue(perLoop.allSatisfy { $0 >= 2 }, "both loops served the new tenant: \(perLoop)")
    }
}
