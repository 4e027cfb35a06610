import Foundation
import Host
import HostTestSupport
import ModelStandIn
import TestSupport
import XCTest

/// `agent-host serve` with `telemetry:` (docs/operations.md): the spans of a chat reach an OTLP/HTTP
/// collector (the protocol-faithful `OTLPReceiver`), and those still batched when the host is told
/// to stop are sent before it exits.
final class TracingServeTests: HostProcessTestCase {
    func testAServedChatIsExportedOverOTLPAndFlushedOnSIGTERM() throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        // A long export interval: what arrives, arrives through the shutdown's flush.
        let host = try launchTracedHost("traced", receiver: receiver, settings: "  service_name: served-host\n  export_interval_ms: 60000\n")

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

    /// A chat whose host is SIGKILLed continues on another host (its checkpoint) and so does its
    /// trace: the second host's `session` span is the child of the first's, in the same trace.
    func testAChatResumedOnAnotherHostContinuesItsTrace() throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        var hosts: [Host] = []
        for name in ["first-traced", "second-traced"] {
            hosts.append(try launchTracedHost(name, receiver: receiver, settings: "  export_interval_ms: 100\n"))
        }
        let opened = try post(hosts[0].url + "/v1/chat", #"{"caller":"+15554447777","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let id = opened.sessionID
        // The first host's turn is exported (100 ms batches); its session span never ends: it is killed.
        let firstTurn = try XCTUnwrap(receiver.waitFor(seconds: 5) { $0.contains { $0.name == "turn" } }.first { $0.name == "turn" })
        XCTAssertTrue(try eventually(5) { !(try redis.cli("GET", "support:chat:demo:\(id)")).isEmpty }, "no checkpoint after the turn")
        kill(hosts[0].pid, SIGKILL)
        _ = waitForExit(hosts[0])

        let next = try post(hosts[1].url + "/v1/chat", #"{"session_id":"\#(id)","text":"yes"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertEqual(try post(hosts[1].url + "/v1/chat", #"{"session_id":"\#(id)","end":true}"#).status, 200)
        kill(hosts[1].pid, SIGTERM)
        XCTAssertEqual(waitForExit(hosts[1]), 0, hosts[1].logText.suffix(2000).description)

        let spans = receiver.waitFor(seconds: 5) { $0.contains { $0.name == "session" } }
        let resumed = try XCTUnwrap(spans.first { $0.name == "session" }, "\(spans.map(\.name))")
        XCTAssertEqual(resumed.attributes["agent_host.session.resumed"], .bool(true))
        XCTAssertEqual(resumed.traceID, firstTurn.traceID, "one trace across both hosts")
        XCTAssertEqual(resumed.parentSpanID, firstTurn.parentSpanID, "under the first host's session span")
        let turns = spans.filter { $0.name == "turn" }
        XCTAssertEqual(turns.count, 2, "\(spans.map(\.name))")
        XCTAssertTrue(turns.allSatisfy { $0.traceID == firstTurn.traceID })
        XCTAssertTrue(turns.contains { $0.parentSpanID == resumed.spanID }, "the second host's turn hangs under its session span")
    }

    /// A voice call in semantic mode: recognition, the turn detector's verdicts and each reply's
    /// synthesis are spans of the call's trace, with no words in them.
    func testAVoiceCallsSpeechStagesAreSpans() async throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        let semantic = "    turn_detection: {mode: semantic, min_silence_ms: 250, max_silence_ms: 1200}"
        let host = try launchTracedHost("traced-voice", receiver: receiver, settings: "  export_interval_ms: 100\n", tenantLimits: semantic)

        let speech = try await VoiceTestCaller.speech("What is your shipping policy?")
        let call = try VoiceTestCaller(url: host.url.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/%2B15554440000")
        try await call.stream(VoiceTestCaller.pcmFrames(VoiceTestCaller.silence(milliseconds: 300) + speech + VoiceTestCaller.silence(milliseconds: 1_500)))
        let answered = try await call.wait { received in
            // A turn_end after the caller's words were heard (the greeting's comes before them).
            let types = received.compactMap(\.json).map { ($0["type"] as? String ?? "") + (($0["final"] as? Bool) == true ? ":final" : "") }
            guard let heard = types.firstIndex(of: "user:final") else { return false }
            return types[heard...].contains("turn_end") && received.filter(\.isAudio).count > 25
        }
        XCTAssertTrue(answered, "answered in audio: \(call.eventTypes)")
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0, host.logText.suffix(2000).description)

        let spans = receiver.waitFor(seconds: 5) { $0.contains { $0.name == "session" } }
        let session = try XCTUnwrap(spans.first { $0.name == "session" }, "\(spans)")
        let turns = spans.filter { $0.name == "turn" }
        let recognitions = spans.filter { $0.name == "speech_recognition" }
        let verdicts = spans.filter { $0.name == "turn_detection" }
        let syntheses = spans.filter { $0.name == "speech_synthesis" }
        XCTAssertFalse(recognitions.isEmpty, "\(spans)")
        XCTAssertFalse(verdicts.isEmpty, "\(spans)")
        XCTAssertFalse(syntheses.isEmpty, "\(spans)")
        let inCall = Set([session.spanID] + turns.map(\.spanID))
        for span in recognitions + verdicts + syntheses {
            XCTAssertEqual(span.traceID, session.traceID)
            XCTAssertTrue(inCall.contains(span.parentSpanID), "\(span.name) hangs under the session or a turn: \(span)")
        }
        XCTAssertTrue(syntheses.allSatisfy { turns.map(\.spanID).contains($0.parentSpanID) }, "a reply is synthesised within its turn")
        XCTAssertTrue(recognitions.contains { $0.string("agent_host.speech.search") == "lm" && ($0.int("agent_host.speech.audio_ms") ?? 0) > 500 })
        XCTAssertTrue(verdicts.contains { $0.string("agent_host.turn_detection.verdict") == "complete" }, "\(verdicts)")
        XCTAssertFalse(spans.flatMap(\.allStrings).contains { $0.lowercased().contains("shipping") }, "no caller words")
    }
}

/// A Realtime-mode call's turns are run by the model (here the Realtime stand-in: a local double
/// of OpenAI's service, not the real API); the host builds their spans from the events it records,
/// so the trace has the same shape as a cascaded call's.
final class RealtimeTracingServeTests: HostProcessTestCase {
    func testARealtimeCallsTurnsToolsAndHandoffsAreSpans() async throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [
            .init(heard: "I want a refund", steps: [.call(name: "transfer_to_refund_agent", arguments: #"{"reason":"refund"}"#)]),
            .init(heard: "order ORD-12345", steps: [.call(name: "lookup_order", arguments: #"{"order_id":"ORD-12345"}"#),
                                                   .say("Your order was delivered ten days ago.", milliseconds: 400)]),
        ], unscriptedReply: .say("Refunds here, what is the order number?", milliseconds: 300)))
        let keyFile = directory.file("realtime-key")
        try "sk-standin".write(toFile: keyFile, atomically: true, encoding: .utf8)
        chmod(keyFile, 0o600)
        let voice = """
                voice:
                  mode: realtime
                  realtime: {url: "\(standIn.url)", api_key_file: "\(keyFile)", connect_timeout_ms: 2000, stall_timeout_ms: 4000}

            """
        let host = try launchTracedHost("traced-realtime", receiver: receiver, settings: "  export_interval_ms: 100\n", tenantLimits: voice)

        let call = try VoiceTestCaller(url: host.url.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/%2B15554441111")
        for (sentence, turns) in [("I want a refund please.", 1), ("Order one two three four five.", 2)] {
            let speech = try await VoiceTestCaller.speech(sentence)
            try await call.stream(VoiceTestCaller.pcmFrames(VoiceTestCaller.silence(milliseconds: 200) + speech + VoiceTestCaller.silence(milliseconds: 1_000)))
            let ended = try await call.wait(seconds: 10) { _ in call.eventTypes.filter { $0 == "turn_end" }.count >= turns }
            XCTAssertTrue(ended, "turn \(turns) ended: \(call.eventTypes)")
        }
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0, host.logText.suffix(2000).description)

        let spans = receiver.waitFor(seconds: 5) { $0.contains { $0.name == "session" } }
        let session = try XCTUnwrap(spans.first { $0.name == "session" }, "\(spans)")
        let turns = spans.filter { $0.name == "turn" }
        XCTAssertEqual(turns.count, 2, "one span per caller turn: \(spans.map(\.name))")
        XCTAssertTrue(turns.allSatisfy { $0.parentSpanID == session.spanID && $0.traceID == session.traceID })
        XCTAssertTrue(turns.allSatisfy { $0.string("agent_host.turn.driver") == "realtime" })
        let steps = spans.filter { $0.name.hasPrefix("invoke_agent ") }
        XCTAssertTrue(steps.allSatisfy { step in turns.contains { $0.spanID == step.parentSpanID } }, "\(steps)")
        let handoff = try XCTUnwrap(spans.first { $0.name == "handoff" }, "\(spans.map(\.name))")
        XCTAssertEqual(handoff.string("agent_host.handoff.to"), "Refund Agent")
        // Turn 1: the Triage Agent's step, the handoff, the Refund Agent's step; turn 2: the Refund Agent's.
        XCTAssertEqual(steps.map(\.name).sorted(), ["invoke_agent Refund Agent", "invoke_agent Refund Agent", "invoke_agent Triage Agent"])
        XCTAssertEqual(steps.first { $0.string("agent_host.handed_off_from") == "Triage Agent" }?.parentSpanID, handoff.parentSpanID)
        let tool = try XCTUnwrap(spans.first { $0.name == "execute_tool lookup_order" }, "\(spans.map(\.name))")
        let toolStep = try XCTUnwrap(steps.first { $0.spanID == tool.parentSpanID }, "the tool hangs under a step")
        XCTAssertEqual(toolStep.name, "invoke_agent Refund Agent", "the tool ran in the Refund Agent's step")
        XCTAssertEqual(tool.string("gen_ai.tool.name"), "lookup_order")
        XCTAssertFalse(spans.flatMap(\.allStrings).contains { $0.contains("ORD-12345") || $0.lowercased().contains("refund please") }, "no caller text")
    }
}

extension HostProcessTestCase {
    /// `agent-host serve` on the demo configuration (journal `name`) with `telemetry:` sending to
    /// `receiver`; `settings` adds telemetry keys (lines indented two spaces), `tenantLimits` lines
    /// to the demo tenant.
    fileprivate func launchTracedHost(_ name: String, receiver: OTLPReceiver, settings: String, tenantLimits: String = "") throws -> Host {
        let port = try LoopbackPort.free()
        let telemetry = "telemetry:\n  otlp_endpoint: \"\(receiver.endpoint)\"\n" + settings
        let path = directory.file("\(name).yaml")
        try (telemetry + demoYAML(port: port, journal: name, tenantLimits: tenantLimits)).write(toFile: path, atomically: true, encoding: .utf8)
        return try launchHost(name, config: path, port: port)
    }
}
