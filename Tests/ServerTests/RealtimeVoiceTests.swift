import Foundation
import HostModels
import HostNet
import HostOrchestration
import HostServer
import HostSpeech
import HostTenancy
import HostVoice
import ModelStandIn
import XCTest

/// Issue #6 on real calls: a tenant in Realtime mode talks to the Realtime stand-in (a local
/// double of the OpenAI service, not the real API) over `/ws/voice`, with flite speech streamed
/// in real time, the real department plugins and commerce tools against support-backend.
final class RealtimeVoiceTests: ServerTestCase {
    var voiceURL: String { base.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/" }

    private func startRealtime(_ standIn: RealtimeStandIn, configureDemo: @escaping (inout TenantConfiguration) -> Void = { _ in }) async throws {
        var realtime = RealtimeVoice(apiKey: Secret("sk-standin"))
        realtime.url = standIn.url
        realtime.connectTimeoutMilliseconds = 1_000
        realtime.stallTimeoutMilliseconds = 2_000
        try startServer(demoVoice: TenantVoice(mode: .realtime, realtime: realtime), configureDemo: configureDemo)
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    private func say(_ call: VoiceTestCaller, _ text: String) async throws {
        let caller = VoiceTestCaller.self
        try await call.stream(caller.pcmFrames(caller.silence(milliseconds: 200) + (try await caller.speech(text)) + caller.silence(milliseconds: 1_000)))
    }

    private func expect(_ call: VoiceTestCaller, seconds: Double, _ what: String, until condition: ([VoiceTestCaller.Received]) -> Bool,
                        file: StaticString = #filePath, line: UInt = #line) async throws {
        let held = try await call.wait(seconds: seconds, until: condition)
        XCTAssertTrue(held, "\(what): \(call.eventTypes)", file: file, line: line)
    }

    private func count(_ type: String, in call: VoiceTestCaller) -> Int { call.eventTypes.filter { $0 == type }.count }

    /// Two turns: a transfer to the Refund Agent, then a lookup_order call run by the real
    /// commerce plugin; agent audio is paced back; the session record holds the transcript, the
    /// agents and the tool as a cascaded call's would.
    func testARealtimeCallRunsARealToolAndIsRecordedLikeACascadedOne() async throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [
            .init(heard: "I want a refund", steps: [.call(name: "transfer_to_refund_agent", arguments: #"{"reason":"refund"}"#)]),
            .init(heard: "order ORD-12345", steps: [.call(name: "lookup_order", arguments: #"{"order_id":"ORD-12345"}"#),
                                                   .say("Your order ORD-12345 was delivered ten days ago.", milliseconds: 600)]),
        ], unscriptedReply: .say("Refunds here, what is the order number?", milliseconds: 400)))
        try await startRealtime(standIn)
        let call = try VoiceTestCaller(url: voiceURL + "caller-realtime")
        try await say(call, "I want a refund please.")
        try await expect(call, seconds: 10, "the first turn ends") { _ in self.count("turn_end", in: call) >= 1 }
        try await say(call, "Order one two three four five.")
        try await expect(call, seconds: 10, "the second turn ends") { _ in self.count("turn_end", in: call) >= 2 }
        _ = try await call.wait(seconds: 5) { received in   // the last reply's audio has played out
            guard let last = received.last(where: \.isAudio) else { return false }
            return ContinuousClock.now - last.at > .milliseconds(300)
        }
        call.socket.send(text: #"{"type":"end"}"#)
        _ = try await call.wait(seconds: 5) { $0.contains { if case .closed = $0.message { true } else { false } } }
        call.close()

        let events = call.events
        XCTAssertTrue(events.contains { $0["type"] as? String == "handoff" && $0["to"] as? String == "Refund Agent" }, "\(call.eventTypes)")
        let result = try XCTUnwrap(events.first { $0["type"] as? String == "tool_result" }, "\(call.eventTypes)")
        XCTAssertEqual(result["ok"] as? Bool, true)
        XCTAssertTrue((result["output"] as? String ?? "").contains("delivered"), "support-backend's answer: \(result)")
        let sentBack = standIn.received("conversation.item.create").compactMap { ($0.object["item"] as? [String: Any])?["output"] as? String }
        XCTAssertTrue(sentBack.contains { $0.contains("ORD-12345") }, "the tool's output went back to the model: \(sentBack)")
        // 24 kHz from the model, 16 kHz to this caller, in 20 ms frames (640 bytes).
        let frames = call.received.compactMap { if case .binary(let bytes) = $0.message { bytes.count } else { nil } }
        XCTAssertGreaterThan(frames.count, 25, "about 1 s of agent speech arrives")
        XCTAssertTrue(frames.allSatisfy { $0 <= 640 })
        XCTAssertLessThanOrEqual(frames.filter { $0 != 640 }.count, 2, "only each reply's last frame is short")
        XCTAssertEqual(standIn.received("input_audio_buffer.append").isEmpty, false)

        let stored = persistence.sessions(tenant: "demo", caller: "caller-realtime").last
        let record = try XCTUnwrap(stored, "the session was persisted")
        XCTAssertEqual(record.transcript.map(\.role), ["user", "agent", "user", "agent"], "\(record.transcript.map(\.text))")
        XCTAssertEqual(record.transcript.first?.text, "I want a refund")
        XCTAssertEqual(record.transcript.last?.text, "Your order ORD-12345 was delivered ten days ago.")
        XCTAssertEqual(record.transcript.last?.agent, "Refund Agent")
        XCTAssertEqual(record.agents, ["Triage Agent", "Refund Agent"])
        XCTAssertEqual(record.tools, ["lookup_order"])
        XCTAssertEqual(record.outcome, "caller_hangup")
    }

    /// A Realtime call of a tenant that records: the announcement (flite, the model cannot say what
    /// it did not generate) plays before the model's greeting, and both sides land in the stereo
    /// WAV the record names — the caller's speech left, the announcement and the model's voice right.
    func testARealtimeCallIsRecordedWithTheAnnouncementFirst() async throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [
            .init(heard: "I want a refund", steps: [.say("Refunds here, what is the order number?", milliseconds: 800)]),
        ], unscriptedReply: .say("Hello, how can I help?", milliseconds: 600)))
        let recordings = NSTemporaryDirectory() + "realtime-recordings-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: recordings) }
        try await startRealtime(standIn) { tenant in
            var policy = RecordingPolicy(directory: recordings)
            policy.announce = "This call may be recorded."
            tenant.telephony.recording = policy
        }
        let call = try VoiceTestCaller(url: voiceURL + "caller-recorded")
        call.socket.send(text: #"{"type":"start","sample_rate":16000,"encoding":"pcm16","greet":true}"#)
        try await expect(call, seconds: 10, "the announcement and the greeting play") { received in received.filter(\.isAudio).count > 100 }
        try await say(call, "I want a refund please.")
        try await expect(call, seconds: 10, "the turn ends") { _ in self.count("turn_end", in: call) >= 1 }
        _ = try await call.wait(seconds: 5) { received in
            guard let last = received.last(where: \.isAudio) else { return false }
            return ContinuousClock.now - last.at > .milliseconds(300)
        }
        call.socket.send(text: #"{"type":"end"}"#)
        _ = try await call.wait(seconds: 5) { $0.contains { if case .closed = $0.message { true } else { false } } }
        call.close()

        let record = try XCTUnwrap(persistence.sessions(tenant: "demo", caller: "caller-recorded").last, "the session was persisted")
        let name = try XCTUnwrap(record.recording, "the record names the recording")
        let path = recordings + "/demo/" + name
        var wav = Data()
        for _ in 0..<50 {  // written off the loop: it lands a moment after the session ends
            if let data = FileManager.default.contents(atPath: path), data.count > 44 { wav = data; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let (channels, rate, left, right) = TwilioTransferTests.stereo(wav)
        XCTAssertEqual(channels, 2)
        XCTAssertEqual(rate, 16_000, "the voice socket's rate")
        XCTAssertGreaterThan(TwilioTransferTests.rms(left), 100, "the caller's side has speech")
        XCTAssertGreaterThan(TwilioTransferTests.rms(right), 100, "the agent's side has speech")
        let agentStart = TwilioTransferTests.firstLoud(right).map { Double($0) / 16_000 } ?? 99
        let callerStart = TwilioTransferTests.firstLoud(left).map { Double($0) / 16_000 } ?? 0
        XCTAssertLessThan(agentStart, callerStart, "the announcement (agent side) plays before the caller speaks")
        // The announcement came before the model's greeting: the agent side starts with flite's
        // speech, and the stand-in's voice (a 440 Hz tone) comes after it.
        let start = TwilioTransferTests.firstLoud(right) ?? 0
        let opening = Array(right[start..<min(start + 8_000, right.count)])
        XCTAssertLessThan(Self.toneShare(opening, hertz: 440, rate: 16_000), 0.5, "the first half second is speech, not the model's tone")
        let toneStart = stride(from: start, to: right.count - 1_600, by: 1_600).first { index in
            Self.toneShare(Array(right[index..<index + 1_600]), hertz: 440, rate: 16_000) > 0.8
        }
        let greeting = try XCTUnwrap(toneStart, "the model's greeting is on the agent side")
        XCTAssertGreaterThan(Double(greeting - start) / 16_000, 1.0, "the greeting follows the ~1.5 s announcement")
    }

    /// The share of `samples`' energy at `hertz` (Goertzel): ~1 for a pure tone, small for speech.
    static func toneShare(_ samples: [Int16], hertz: Double, rate: Double) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * hertz / rate)
        var (s1, s2, total) = (0.0, 0.0, 0.0)
        for sample in samples {
            let x = Double(sample)
            (s1, s2) = (x + coefficient * s1 - s2, s1)
            total += x * x
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        return total > 0 ? power / (total * Double(samples.count) / 2) : 0
    }

    /// The service refuses the connection: the caller is told, and the same session is answered by
    /// the offline pipeline (pocketsphinx hears flite's speech; Triage hands off to Billing).
    func testARefusedRealtimeServiceFallsBackToTheOfflinePipeline() async throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: []), failure: .reject(status: 503))
        try await startRealtime(standIn)
        let call = try VoiceTestCaller(url: voiceURL + "caller-fallback")
        try await expect(call, seconds: 5, "realtime_unavailable") { _ in call.events.contains { $0["code"] as? String == "realtime_unavailable" } }
        try await assertOfflineAnswers(call, caller: "caller-fallback")
        let metrics = try await request("GET", "/metrics").body
        XCTAssertTrue(metrics.contains(#"agent_host_realtime_fallbacks_total{kind="rejected"} 1"#))
    }

    /// The connection drops in the middle of the model's first reply: the next utterance is
    /// answered offline, and the record keeps both parts of the call.
    func testADroppedRealtimeConnectionMidCallFallsBackToTheOfflinePipeline() async throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [.init(heard: "hello", steps: [.say("Hello, how can I help?", milliseconds: 800)])]),
                                          failure: .dropMidStream)
        try await startRealtime(standIn)
        let call = try VoiceTestCaller(url: voiceURL + "caller-dropped")
        try await say(call, "Hello.")
        try await expect(call, seconds: 5, "realtime_unavailable") { _ in call.events.contains { $0["code"] as? String == "realtime_unavailable" } }
        try await assertOfflineAnswers(call, caller: "caller-dropped", earlierUser: "hello")
    }

    private func assertOfflineAnswers(_ call: VoiceTestCaller, caller: String, earlierUser: String? = nil) async throws {
        try await say(call, "I want to ask about my bill.")
        try await expect(call, seconds: 20, "a handoff to Billing") { _ in
            call.events.contains { $0["type"] as? String == "handoff" && $0["to"] as? String == "Billing Agent" }
        }
        try await expect(call, seconds: 10, "the offline agent speaks") { $0.contains(where: \.isAudio) }
        call.socket.send(text: #"{"type":"end"}"#)
        _ = try await call.wait(seconds: 5) { $0.contains { if case .closed = $0.message { true } else { false } } }
        call.close()
        let stored = persistence.sessions(tenant: "demo", caller: caller).last
        let record = try XCTUnwrap(stored, "the session was persisted")
        let users = record.transcript.filter { $0.role == "user" }.map(\.text)
        XCTAssertTrue(users.contains { $0.contains("bill") }, "\(users)")
        if let earlierUser { XCTAssertEqual(users.first, earlierUser, "the Realtime part of the call is kept too") }
        XCTAssertEqual(record.agents.suffix(1), ["Billing Agent"])
    }

    /// Asking for a person in Realtime mode works as in a cascaded call: the real
    /// escalate_to_human tool queues the caller, `escalated` is sent, and the session ends with
    /// `escalated` after the model has told them.
    func testARealtimeEscalationQueuesTheCallerAndEndsTheSession() async throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [
            .init(heard: "I want to talk to a person", steps: [
                .call(name: "escalate_to_human", arguments: #"{"department":"billing","reason":"caller asked for a person"}"#),
                .say("You're in line for a person on our billing team.", milliseconds: 500)]),
        ]))
        try await startRealtime(standIn)
        let call = try VoiceTestCaller(url: voiceURL + "caller-realtime-person")
        try await say(call, "I want to talk to a person.")
        try await expect(call, seconds: 15, "the session ends") { _ in self.count("end", in: call) >= 1 }
        call.close()
        let escalated = try XCTUnwrap(call.events.first { $0["type"] as? String == "escalated" }, "\(call.eventTypes)")
        XCTAssertEqual(escalated["department"] as? String, "billing")
        XCTAssertEqual(call.events.last { $0["type"] as? String == "end" }?["reason"] as? String, "escalated")
        let types = call.eventTypes
        XCTAssertLessThan(types.firstIndex(of: "turn_end") ?? .max, types.firstIndex(of: "end") ?? -1, "the reply's turn ends before the session does: \(types)")
        var record: CompletedSession?
        for _ in 0..<100 where record == nil {
            record = persistence.sessions(tenant: "demo", caller: "caller-realtime-person").last
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(record?.outcome, "escalated")
        XCTAssertEqual(record?.tools, ["escalate_to_human"])
        let metrics = try await request("GET", "/metrics").body
        XCTAssertTrue(metrics.contains(#"agent_host_escalations_total{department="billing",tenant="demo"} 1"#),
                      "the Realtime brain's escalation is counted like a cascaded one")
    }

    /// A phone call (Twilio Media Streams) to a Realtime tenant: the model greets first, once its
    /// session is configured; the greeting arrives as paced mu-law media and is recorded.
    func testAPhoneCallToARealtimeTenantIsGreetedByTheModel() async throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [],
                                                                 unscriptedReply: .say("Hello, thanks for calling. How can I help?", milliseconds: 800)))
        try await startRealtime(standIn)
        let call = try VoiceTestCaller(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media")
        call.socket.send(text: TwilioMediaTests.start(streamSid: "MZrt", parameters: ["tenant": "demo", "caller": "+15556667777"]))
        let greeted = try await call.wait(seconds: 10) { received in
            received.compactMap(\.json).filter { $0["event"] as? String == "media" }.count > 20
        }
        XCTAssertTrue(greeted, "the greeting plays before the caller says anything: \(call.events.prefix(3))")
        XCTAssertFalse(standIn.received("response.create").isEmpty, "the host asked the model to speak first")
        XCTAssertTrue(standIn.received("input_audio_buffer.append").isEmpty, "no caller audio was needed")
        call.socket.send(text: #"{"event":"stop","streamSid":"MZrt"}"#)
        var record: CompletedSession?
        for _ in 0..<100 where record == nil {
            record = persistence.sessions(tenant: "demo", caller: "+15556667777").last
            try await Task.sleep(for: .milliseconds(50))
        }
        call.close()
        XCTAssertEqual(record?.transcript.first?.text, "Hello, thanks for calling. How can I help?", "\(record?.transcript.map(\.text) ?? [])")
    }
}

/// `tts: openai` on a cascaded call: the greeting is synthesised by CloudSynthesizer against the
/// audio stand-in and reaches the caller as paced PCM frames.
final class CloudSpeechCallTests: ServerTestCase {
    func testACascadedCallSpeaksWithCloudSynthesis() async throws {
        let standIn = ChatCompletionsStandIn(apiKey: "sk-audio")
        _ = try standIn.start()
        defer { standIn.stop() }
        var endpoint = AudioEndpoint(baseURL: standIn.baseURL, model: "gpt-4o-mini-tts", apiKey: Secret("sk-audio"))
        endpoint.voice = "coral"
        let voice = TenantVoice(speech: endpoint)
        try startServer(demoVoice: voice)
        let http = try XCTUnwrap(deployment.services.http)
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
            .addingCloudSpeech(for: [ServedTenant(runtime: deployment.tenant, voice: voice)], http: http)

        let call = try VoiceTestCaller(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/caller-cloud-tts")
        call.socket.send(text: #"{"type":"start","sample_rate":16000,"encoding":"pcm16","greet":true}"#)
        let greeting = try await call.wait(seconds: 10) { $0.filter(\.isAudio).count > 10 }
        XCTAssertTrue(greeting, "the greeting's audio arrives: \(call.eventTypes)")
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
        let speech = standIn.audio.requests.filter { $0.path == "/v1/audio/speech" }
        let first = try XCTUnwrap(speech.first.flatMap { try JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] })
        XCTAssertEqual(first["model"] as? String, "gpt-4o-mini-tts")
        XCTAssertEqual(first["voice"] as? String, "coral")
        let said = try XCTUnwrap(call.events.first { $0["type"] as? String == "agent" }?["text"] as? String)
        XCTAssertTrue(said.hasPrefix(first["input"] as? String ?? "-"), "the first sentence of '\(said)' was synthesised")
    }
}
