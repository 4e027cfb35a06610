import Foundation
import Host
import HostNet
import TestSupport
import XCTest

/// Twilio calls on a host with `server.loops: 2` (docs/operations.md, "Loops"): a real
/// `agent-host serve`, the Twilio REST stand-in (Twilio is a paid service), a C agent that sends
/// keypad digits (the dtmf draft). A call that plays digits gets a new Media Stream, a new
/// connection the kernel gives to either loop: the call and its session stay on their loop, and a
/// stream landing on the other loop is relayed there. Calls are repeated until both loops served
/// calls and at least one resumed stream crossed loops; each resumed call is answered on its new stream.
final class LoopsTwilioTests: TwilioHostTestCase {
    private static let keypad = "com.example.isolation.keypad"

    private func startKeypadHost() throws -> (Host, Int) {
        let fixtures = directory.file("fixtures")
        try FileManager.default.createDirectory(atPath: fixtures, withIntermediateDirectories: true)
        try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/IsolationTests/Fixtures/keypad_agent.c",
                                 includeDirectory: BuildProducts.repositoryRoot + "/Sources/PluginABI/include",
                                 output: fixtures + "/libkeypad_agent.so")
        let tokenFile = try twilioTokenFile()
        let port = try LoopbackPort.free()
        let yaml = """
        server:
          host: 127.0.0.1
          port: \(port)
          loops: 2
        redis:
          url: "\(redis.url)"
          journal_path: "\(directory.file("loops-twilio-journal.log"))"
        plugins:
          directories: ["\(BuildProducts.directory)", "\(fixtures)"]
        default_tenant: demo
        tenants:
          - id: demo
            entry_agent: \(Self.keypad)
            plugins: [\(Self.keypad)]
            extensions: [agent_host.dtmf.draft/0]
            twilio: {account_sid: "\(twilio.accountSID)", auth_token_file: "\(tokenFile)", api_url: "\(twilio.url)", public_url: "http://127.0.0.1:\(port)"}

        """
        let path = directory.file("loops-twilio.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return (try launchHost("loops-twilio", config: path, port: port), port)
    }

    private static func dtmf(_ digit: String, streamSid: String) -> String {
        #"{"event":"dtmf","streamSid":"\#(streamSid)","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"\#(digit)"}}"#
    }

    func testCallsOnBothLoopsAndAResumedStreamOnTheOtherLoopGoesOnWithItsCall() async throws {
        let (host, port) = try startKeypadHost()
        let streamURL = "ws://127.0.0.1:\(port)/twilio/media"
        let signed = try TwilioTestSignature.streamHeaders(authToken: twilio.authToken, url: streamURL)
        var callLoops = Set<Int>()
        var relayed = 0
        for index in 0..<16 where callLoops.count < 2 || relayed == 0 {
            let callSid = "CA" + String(format: "%032x", 0xC0FFEE00 + index)
            twilio.placeCall(callSid)
            let caller = "+1555060\(String(format: "%04d", index))"
            let first = try VoiceTestCaller(url: streamURL, headers: signed)
            first.socket.send(text: TwilioMediaTests.start(streamSid: "MZold\(index)", callSid: callSid, parameters: ["tenant": "demo", "caller": caller]))
            var perLoop = [0, 0]
            XCTAssertTrue(try eventually(15) { perLoop = try loopSessions(host); return perLoop.reduce(0, +) == 1 },
                          "call \(index) got a session: \(perLoop)\n\(host.logText.suffix(2000))")
            let loop = try XCTUnwrap(perLoop.firstIndex(of: 1))
            callLoops.insert(loop)

            // The caller presses 9: the agent sends digits; Twilio (the stand-in) is asked to play them
            // and to connect a new stream carrying the resume token.
            first.socket.send(text: Self.dtmf("9", streamSid: "MZold\(index)"))
            var state: TwilioRESTStandIn.Call?
            for _ in 0..<200 {
                state = twilio.call(callSid)
                if state?.streamParameters["resume"] != nil { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            XCTAssertEqual(state?.playedDigits, ["ww1234#"], "call \(index): \(twilio.requests)\n\(host.logText.suffix(2000))")
            let parameters = try XCTUnwrap(state?.streamParameters)
            first.socket.send(text: #"{"event":"stop","sequenceNumber":"9","streamSid":"MZold\#(index)","stop":{"accountSid":"AC1","callSid":"\#(callSid)"}}"#)
            first.close()

            // The new stream, on whichever loop accepts it: the same session goes on, on its loop.
            let relaysBefore = host.logText.components(separatedBy: "relayed to loop \(loop)").count - 1
            let second = try VoiceTestCaller(url: streamURL, headers: signed)
            second.socket.send(text: TwilioMediaTests.start(streamSid: "MZnew\(index)", callSid: callSid, parameters: parameters))
            // A key press on the new stream is the caller's input: the agent answers "hello" there.
            second.socket.send(text: Self.dtmf("1", streamSid: "MZnew\(index)"))
            let answered = try await second.wait(seconds: 20) { received in
                received.contains { $0.json?["event"] as? String == "mark" && $0.json?["streamSid"] as? String == "MZnew\(index)" }
            }
            XCTAssertTrue(answered, "call \(index) is answered on its new stream: \(second.events.prefix(5))\n\(host.logText.suffix(2000))")
            XCTAssertTrue(second.events.contains { $0["event"] as? String == "media" && $0["streamSid"] as? String == "MZnew\(index)" },
                          "the agent's audio goes to the new stream")
            XCTAssertEqual(try loopSessions(host), perLoop, "call \(index) kept its one session on loop \(loop)")
            if host.logText.components(separatedBy: "relayed to loop \(loop)").count - 1 > relaysBefore { relayed += 1 }
            second.close()
            XCTAssertTrue(try eventually(15) { try loopSessions(host) == [0, 0] }, "call \(index) ended when its stream closed")
        }
        XCTAssertEqual(callLoops, [0, 1], "Twilio calls were served on both loops")
        XCTAssertGreaterThan(relayed, 0, "a resumed stream accepted by the other loop reached its call:\n\(host.logText.suffix(3000))")
        XCTAssertFalse(host.logText.contains("unknown or expired resume token"), String(host.logText.suffix(3000)))
    }
}
