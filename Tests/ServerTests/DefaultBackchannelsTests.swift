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

    /// The hum "mm-hmm" said over the greeting as flite can say it: "um hum", /ah m hh ah m/ — the
    /// pronunciation pocketsphinx's dictionary gives "mhm" (flite spells "mm hmm", "mmhmm", "mhm"
    /// as letters). The language model and the overlap grammar had only "mm hmm" (M, HH M: no
    /// vowel) and no word for a hum that opens on one: the benchmark's flite hum was heard "i'm
    /// behind" and "how and in on" and stopped the agent (docs/benchmarks.md).
    func testTheHumOverTheAgentDoesNotStopIt() async throws {
        let events = try await overTheGreeting(try await Caller.speech("um hum"), said: "um hum", caller: "%2B15550009200")
        XCTAssertFalse(events.interrupted, "the hum stopped the agent")
        XCTAssertEqual(events.turns, [], "the hum became a turn")
    }
}
