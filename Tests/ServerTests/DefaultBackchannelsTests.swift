import Foundation
import HostSpeech
import XCTest

/// Every default backchannel (`Backchannels.defaults`) said over the agent's greeting by flite,
/// through the real pipeline over WS /ws/voice: none may stop the agent or become a turn. The
/// labelled set of `agent-host-bench voice turns` holds only some of them ("great", "cool", "yes"
/// are defaults it does not say).
final class DefaultBackchannelsTests: SemanticVoiceTestCase {
    static let said = ["great", "cool", "yes", "sure", "alright", "got it", "yep", "right"]

    func testDefaultBackchannelsOverTheAgentDoNotStopIt() async throws {
        var stopped: [String] = []
        for (index, text) in Self.said.enumerated() {
            let speech = try await Caller.speech(text)
            let call = try VoiceTestCaller(url: voiceURL + "%2B15550009\(100 + index)")
            call.socket.send(text: #"{"type":"start","sample_rate":16000,"encoding":"pcm16","greet":true}"#)
            let greeting = try await call.wait(seconds: 10) { $0.contains(where: \.isAudio) }
            XCTAssertTrue(greeting, "the agent greets first: \(call.eventTypes)")
            try await call.stream(Caller.pcmFrames(Caller.silence(milliseconds: 200) + speech + Caller.silence(milliseconds: 3_000)))
            call.socket.send(text: #"{"type":"end"}"#)
            call.close()
            let turns = call.events.filter { $0["type"] as? String == "user" && $0["final"] as? Bool == true }.compactMap { $0["text"] as? String }
            let interrupted = call.eventTypes.contains("interrupted")
            print("[voice] \"\(text)\" over the greeting: interrupted \(interrupted), turns \(turns)")
            XCTAssertTrue(call.eventTypes.contains("speech_started"), "\(text): the caller was heard at all: \(call.eventTypes)")
            if interrupted || !turns.isEmpty { stopped.append(text) }
        }
        XCTAssertEqual(stopped, [], "backchannels that stopped the agent or became a turn")
    }
}
