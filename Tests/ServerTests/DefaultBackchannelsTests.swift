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
            let events = try await overTheGreeting(try await Caller.speech(text), said: text, caller: "%2B15550009\(100 + index)")
            if events.interrupted || !events.turns.isEmpty { stopped.append(text) }
        }
        XCTAssertEqual(stopped, [], "backchannels that stopped the agent or became a turn")
    }
}
