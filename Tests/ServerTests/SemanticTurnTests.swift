import Foundation
import Host
import HostAudio
import HostNet
import HostSpeech
import HostTenancy
import HostVoice
import XCTest

/// Semantic turn detection and meant interruptions with real audio through the real pipeline:
/// flite speech streamed in real time over WS /ws/voice, the VAD, pocketsphinx with the tenant's
/// language model, the tenant's "complete request?" model, the reference departments, flite answers.
final class SemanticTurnTests: SemanticVoiceTestCase {

    /// A complete question: the turn is decided a few hundred ms after the caller stops (not after
    /// a fixed 800 ms), `turn_end` carries every stage in `latency_ms`, and /metrics has them.
    func testACompleteRequestEndsTheTurnEarlyAndItsLatencyIsReportedAndInMetrics() async throws {
        let speech = try await Caller.speech("What is your shipping policy?")
        let call = try VoiceTestCaller(url: voiceURL + "%2B15550002222")
        try await call.stream(Caller.pcmFrames(Caller.silence(milliseconds: 300) + speech + Caller.silence(milliseconds: 2_000)))
        let answered = try await call.wait { _ in !self.turnEnds(call).isEmpty }
        XCTAssertTrue(answered, "\(call.eventTypes)")
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        let latency = try XCTUnwrap(turnEnds(call).first?["latency_ms"] as? [String: Double], "\(turnEnds(call))")
        print("[voice] semantic turn latency_ms: \(latency)")
        let decided = try XCTUnwrap(latency["turn_decided"])
        XCTAssertGreaterThanOrEqual(decided, 240, "not before the minimum silence")
        XCTAssertLessThan(decided, 700, "decided by meaning, not by a fixed window")
        let stages = ["turn_decided", "transcript_final", "first_agent_text", "first_agent_audio"].compactMap { latency[$0] }
        XCTAssertEqual(stages.count, 4, "\(latency)")
        XCTAssertEqual(stages, stages.sorted(), "stages are cumulative from the end of speech")
        let metrics = try await request("GET", "/metrics").body
        XCTAssertTrue(metrics.contains("agent_host_turn_end_of_speech_to_first_audio_seconds_count{tenant=\"demo\"} 1"), metrics)
        XCTAssertTrue(metrics.contains("agent_host_voice_turn_verdicts_total{verdict=\"complete\"}"), metrics)
    }


    private func greetedCall(_ caller: String) async throws -> VoiceTestCaller {
        let call = try VoiceTestCaller(url: voiceURL + caller)
        call.socket.send(text: #"{"type":"start","sample_rate":16000,"encoding":"pcm16","greet":true}"#)
        let greeting = try await call.wait(seconds: 10) { $0.contains(where: \.isAudio) }
        XCTAssertTrue(greeting, "the agent greets first: \(call.eventTypes)")
        return call
    }

    /// The agent greets; the caller says "uh huh, okay" and then coughs (a decaying noise burst)
    /// over it: the agent goes on to the end of the greeting and neither is a turn. The language
    /// model alone hears "uh huh okay" as "can i pay" in some runs; the overlap grammar's second
    /// opinion is what keeps it a backchannel (docs/voice.md).
    func testABackchannelAndACoughDoNotStopTheAgentAndAreNoTurn() async throws {
        let uhHuh = try await Caller.speech("uh huh, okay.")
        var generator = SystemRandomNumberGenerator()
        let cough = (0..<(16 * 180)).map { i in Int16(Double(Int.random(in: -9_000...9_000, using: &generator)) * exp(-Double(i) / 1_600)) }
        let call = try await greetedCall("%2B15550004444")
        try await call.stream(Caller.pcmFrames(Caller.silence(milliseconds: 200) + uhHuh + Caller.silence(milliseconds: 500)
                                                 + cough + Caller.silence(milliseconds: 3_000)))
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        print("[voice] backchannel call events: \(call.eventTypes)")
        XCTAssertTrue(call.eventTypes.contains("speech_started"), "the caller was heard at all: \(call.eventTypes)")
        XCTAssertFalse(call.eventTypes.contains("interrupted"), "a backchannel stopped the agent: \(call.events)")
        XCTAssertFalse(call.events.contains { $0["type"] as? String == "user" && $0["final"] as? Bool == true }, "a backchannel became a turn: \(call.events)")
        let greetingFrames = call.received.filter(\.isAudio).count
        XCTAssertGreaterThan(greetingFrames, 100, "the whole greeting played (2 s+ of 20 ms frames)")
        let metrics = try await request("GET", "/metrics").body
        XCTAssertTrue(metrics.contains("agent_host_voice_backchannels_total"), metrics)
    }

    /// "Wait, stop." over the greeting: the agent is interrupted, and it is a turn.
    func testARequestOverTheAgentStopsIt() async throws {
        let stop = try await Caller.speech("Wait, stop.")
        let call = try await greetedCall("%2B15550005555")
        try await call.stream(Caller.pcmFrames(Caller.silence(milliseconds: 200) + stop + Caller.silence(milliseconds: 1_500)))
        _ = try await call.wait { _ in self.turnEnds(call).count >= 2 }
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        XCTAssertTrue(call.eventTypes.contains("interrupted"), "a request stopped the agent: \(call.eventTypes)")
        let heard = call.events.filter { $0["type"] as? String == "user" && $0["final"] as? Bool == true }.compactMap { $0["text"] as? String }
        XCTAssertEqual(heard.count, 1, "\(heard)")
    }
}

/// The pause inside an order number, with `min_silence_ms: 400`. At 250 ms one fresh-clone run of
/// three cut "order one two" short (probably a verdict on a hypothesis not yet caught up with the
/// audio while the machine compiled; not proven): the premature cuts docs/benchmarks.md counts.
final class SemanticTurnPauseTests: SemanticVoiceTestCase {
    override var minimumSilenceMilliseconds: Int { 400 }

    /// An order number read with a pause inside it (700 ms after "one two"): one turn, all digits.
    func testAPauseInsideAnOrderNumberDoesNotCutTheCallerOff() async throws {
        let first = try await Caller.speech("I need a refund for order one two")
        let second = try await Caller.speech("three four five.")
        let call = try VoiceTestCaller(url: voiceURL + "%2B15550003333")
        try await call.stream(Caller.pcmFrames(Caller.silence(milliseconds: 300) + first + Caller.silence(milliseconds: 700) + second
                                                 + Caller.silence(milliseconds: 2_000)))
        _ = try await call.wait { _ in !self.turnEnds(call).isEmpty }
        try await call.wait(seconds: 1) { _ in false }
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        let heard = call.events.filter { $0["type"] as? String == "user" && $0["final"] as? Bool == true }.compactMap { $0["text"] as? String }
        print("[voice] paused order number heard as: \(heard)")
        XCTAssertEqual(heard.count, 1, "one turn, not cut at the pause: \(heard)")
        XCTAssertTrue(heard.first?.hasSuffix("three four five") ?? false, "\(heard)")
    }
}

/// The set-up both semantic suites share: a served demo tenant in semantic mode (backchannels on),
/// the offline voice stack, and its decoders warmed before the first call, as a host does at start.
class SemanticVoiceTestCase: ServerTestCase {
    /// The tenant's `min_silence_ms`.
    var minimumSilenceMilliseconds: Int { 250 }

    override func setUp() async throws {
        var voice = TenantVoice()
        voice.semantic = SemanticTurnSettings(minimumSilenceMilliseconds: minimumSilenceMilliseconds, maximumSilenceMilliseconds: 1_200)
        voice.backchannels = Backchannels()
        try startServer(demoVoice: voice)
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
        // A host warms its decoders at start-up, long before its first call; so does this one.
        (server.voice?.recognizers["demo"] as? PocketSphinxRecognizer)?.waitForWarmPool()
    }

    var voiceURL: String { base.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/" }
    typealias Caller = VoiceTestCaller

    func turnEnds(_ call: VoiceTestCaller) -> [[String: Any]] {
        call.events.filter { $0["type"] as? String == "turn_end" }
    }

    /// `speech` (the caller saying `said`) 200 ms into the agent's greeting, then 3 s of silence,
    /// over WS /ws/voice: whether the agent was interrupted, and the caller's final transcripts.
    func overTheGreeting(_ speech: [Int16], said: String, caller: String,
                         file: StaticString = #filePath, line: UInt = #line) async throws -> (interrupted: Bool, turns: [String]) {
        let call = try VoiceTestCaller(url: voiceURL + caller)
        call.socket.send(text: #"{"type":"start","sample_rate":16000,"encoding":"pcm16","greet":true}"#)
        let greeting = try await call.wait(seconds: 10) { $0.contains(where: \.isAudio) }
        XCTAssertTrue(greeting, "the agent greets first: \(call.eventTypes)", file: file, line: line)
        try await call.stream(Caller.pcmFrames(Caller.silence(milliseconds: 200) + speech + Caller.silence(milliseconds: 3_000)))
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        let turns = call.events.filter { $0["type"] as? String == "user" && $0["final"] as? Bool == true }.compactMap { $0["text"] as? String }
        let interrupted = call.eventTypes.contains("interrupted")
        print("[voice] \"\(said)\" over the greeting: interrupted \(interrupted), turns \(turns), events \(call.eventTypes)")
        XCTAssertTrue(call.eventTypes.contains("speech_started"), "\(said): the caller was heard at all: \(call.eventTypes)", file: file, line: line)
        return (interrupted, turns)
    }
}
