import Foundation
import Host
import HostNet
import HostTenancy
import HostTestSupport
import ModelStandIn
import TestSupport
import XCTest

/// A phone caller asking for a person, end to end: a real `agent-host serve`, a Twilio Media
/// Streams client playing the caller's synthesised voice (mu-law 8 kHz), the reference backend,
/// Redis, and a stand-in for Twilio's REST API (`TwilioRESTStandIn`: Twilio is a paid service).
final class TwilioTransferTests: TwilioHostTestCase {
    private static let consoleKey = "console-operator-key"

    /// The tenant's phone settings as the demo tenant's YAML lines; the token in a mode-600 file.
    private func telephonyYAML(port: Int, recordings: String) throws -> String {
        let tokenFile = try twilioTokenFile()
        return """
            transfer: {billing: "+15550100", default: "sip:queue@pbx.example"}
            twilio: {account_sid: "\(twilio.accountSID)", auth_token_file: "\(tokenFile)", api_url: "\(twilio.url)", public_url: "http://127.0.0.1:\(port)"}
            recording: {enabled: true, directory: "\(recordings)", retention_days: 30, announce: "This call may be recorded."}
            redact: [card_number, ssn, email, phone]

        """
    }

    private func startTelephonyHost(recordings: String, voice: String = "") throws -> (Host, Int) {
        let port = try LoopbackPort.free()
        let yaml = demoYAML(port: port, journal: "phone", tenantLimits: try telephonyYAML(port: port, recordings: recordings) + voice)
            + "console:\n  api_keys: [\"\(APIKeys.hash(Self.consoleKey))\"]\n"
        let path = directory.file("phone.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return (try launchHost("phone", config: path, port: port), port)
    }

    /// The caller's last interaction in their Redis session record, once the host has written it
    /// (10 s at most; nil if it never came).
    private func lastInteraction(caller: String) async throws -> [String: Any]? {
        for _ in 0..<200 {
            let json = try redis.cli("GET", "support:session:demo:\(caller)")
            if let record = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
               let last = (record["interactions"] as? [[String: Any]])?.last { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    static func start(streamSid: String, callSid: String, caller: String) -> String {
        #"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"\#(streamSid)","callSid":"\#(callSid)","tracks":["inbound"],"customParameters":{"tenant":"demo","caller":"\#(caller)"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"\#(streamSid)"}"#
    }

    func testACallerAskingForAPersonIsTransferredAfterThePersonHeardTheSummaryAndTheCallIsRecorded() async throws {
        let recordings = directory.file("recordings")
        let (host, port) = try startTelephonyHost(recordings: recordings)
        let callSid = "CA" + String(repeating: "a1b2c3d4", count: 4)
        let streamSid = "MZ" + String(repeating: "9", count: 32)
        twilio.placeCall(callSid)

        // Twilio signs the stream's handshake over public_url's stream URL (docs/telephony.md).
        let streamURL = "ws://127.0.0.1:\(port)/twilio/media"
        // The one tenant takes only Twilio's signed streams: unsigned, or signed for another URL, is 403.
        for headers in [[:], try TwilioTestSignature.streamHeaders(authToken: twilio.authToken, url: "wss://elsewhere.example/twilio/media")] as [HTTPHeaders] {
            XCTAssertThrowsError(try VoiceTestCaller(url: streamURL, headers: headers)) { error in
                XCTAssertEqual((error as? WebSocketClientError)?.status, 403, "\(error)")
            }
        }
        let call = try VoiceTestCaller(url: streamURL, headers: try TwilioTestSignature.streamHeaders(authToken: twilio.authToken, url: streamURL))
        call.socket.send(text: #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
        call.socket.send(text: Self.start(streamSid: streamSid, callSid: callSid, caller: "+15553334444"))
        let greeted = try await call.wait(seconds: 15) { $0.contains { $0.json?["event"] as? String == "media" } }
        XCTAssertTrue(greeted, "the announcement and greeting play")
        // Let the announcement and greeting finish, then ask for a person.
        let speech = try await VoiceTestCaller.speech("I want to talk to a person.")
        let frames = try VoiceTestCaller.muLawFrames(VoiceTestCaller.silence(milliseconds: 6_000) + speech + VoiceTestCaller.silence(milliseconds: 1_500))
        try await call.stream(frames) { TwilioMediaTests.media($0, streamSid: streamSid) }

        // Twilio's API is asked to dial the tenant's target; the person hears the summary first.
        var transferred: TwilioRESTStandIn.Call?
        for _ in 0..<600 {
            if let state = twilio.call(callSid), state.whisperHeard != nil { transferred = state; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let state = try XCTUnwrap(transferred, "the call was transferred; API requests: \(twilio.requests)\n\(host.logText.suffix(3000))")
        XCTAssertEqual(state.dialed, "sip:queue@pbx.example", "a general request goes to the default target")
        let whisper = state.whisperHeard ?? ""
        XCTAssertTrue(whisper.contains("+15553334444") || whisper.contains("[phone]"), "who: \(whisper)")
        XCTAssertTrue(whisper.contains("general team"), "what: \(whisper)")
        XCTAssertTrue(whisper.contains("They said:"), "the caller's words: \(whisper)")
        XCTAssertTrue(state.bridged, "the caller is bridged after the whisper")
        XCTAssertEqual(twilio.whisperStatuses, [200], "the signed whisper fetch is accepted")
        XCTAssertEqual(twilio.requests.filter { $0.hasPrefix("POST") }.count, 1, "\(twilio.requests)")
        XCTAssertTrue(twilio.requests.allSatisfy { $0.hasSuffix(" 200") }, "basic auth and form body accepted: \(twilio.requests)")

        // After the REST update landed the host closes the stream (Twilio would end it too).
        let closed = try await call.wait(seconds: 20) { $0.contains { if case .closed = $0.message { true } else { false } } }
        XCTAssertTrue(closed, "the media stream is closed after the transfer")
        call.close()

        // The record: outcome transferred, the recording named; the backend has the handover.
        let interaction = try await lastInteraction(caller: "+15553334444")
        let saved = try XCTUnwrap(interaction, "the session was persisted")
        XCTAssertEqual(saved["outcome"] as? String, "transferred")
        let sessionID = try XCTUnwrap(saved["session_id"] as? String)
        XCTAssertEqual(saved["recording"] as? String, sessionID + ".wav")
        XCTAssertTrue(saved["tools"].map { "\($0)" }?.contains("escalate_to_human") == true)
        let ticket = try curl(["-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(backend.apiKey)", backend.url + "/api/escalations/ESC-000001"])
        XCTAssertEqual(ticket.status, 200, ticket.body)
        XCTAssertTrue((ticket.json["summary"] as? String ?? "").contains("general team"), ticket.body)
        XCTAssertTrue((ticket.json["transcript"] as? String ?? "").contains("person"), ticket.body)

        // The recording: a stereo WAV, caller left and agent right, both with sound.
        var wav = Data()
        for _ in 0..<100 {
            let result = try ProcessRunner.run("curl", ["-s", "-o", directory.file("call.wav"), "-w", "%{http_code}",
                                                        "http://127.0.0.1:\(port)/v1/sessions/\(sessionID)/recording"])
            if result.stdout == "200" { wav = try Data(contentsOf: URL(fileURLWithPath: directory.file("call.wav"))); break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertGreaterThan(wav.count, 44, "the recording is served")
        let (channels, rate, left, right) = Self.stereo(wav)
        XCTAssertEqual(channels, 2)
        XCTAssertEqual(rate, 8_000)
        XCTAssertGreaterThan(Double(left.count) / 8_000, 6, "the call lasted longer than the caller's audio took")
        XCTAssertGreaterThan(Self.rms(left), 100, "the caller's side has speech")
        XCTAssertGreaterThan(Self.rms(right), 100, "the agent's side has speech")
        // Aligned in time: the agent's first words (the announcement) come before the caller speaks
        // (6 s of silence first), and the caller's speech begins about 6 s in.
        let callerStart = Self.firstLoud(left).map { Double($0) / 8_000 } ?? 0
        let agentStart = Self.firstLoud(right).map { Double($0) / 8_000 } ?? 99
        XCTAssertLessThan(agentStart, 1.0, "the announcement plays first")
        XCTAssertGreaterThan(callerStart, 5.0, "caller speech at ~6 s, got \(callerStart)")
        XCTAssertLessThan(callerStart, 8.0, "caller speech at ~6 s, got \(callerStart)")

        // The console's history plays the same file with an operator key (docs/console.md); without it, 401.
        let consoleWAV = directory.file("console-call.wav")
        let fromConsole = try ProcessRunner.run("curl", ["-s", "-o", consoleWAV, "-w", "%{http_code}", "-H", "Authorization: Bearer \(Self.consoleKey)",
                                                         "http://127.0.0.1:\(port)/console/v1/sessions/\(sessionID)/recording?tenant=demo"])
        XCTAssertEqual(fromConsole.stdout, "200")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: consoleWAV)), wav, "the console serves the call's recording")
        let unsigned = try curl(["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/console/v1/sessions/\(sessionID)/recording?tenant=demo"])
        XCTAssertEqual(unsigned.status, 401, unsigned.body)

        let missing = try curl(["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/v1/sessions/00000000-0000-0000-0000-000000000000/recording"])
        XCTAssertEqual(missing.status, 404, missing.body)
        XCTAssertFalse(host.logText.contains(twilio.authToken), "the auth token never reaches the log")
    }

    /// The same transfer on a Realtime-mode call (the Realtime stand-in plays the model: a local
    /// double of OpenAI's service, not the real API): the model's escalation is followed by the
    /// REST update with `<Dial>`, the model is told to say the tenant's transfer words instead of a
    /// queue ticket, the person hears the summary, and the session ends `transferred`.
    func testARealtimeCallAskingForAPersonIsTransferredToo() async throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [
            .init(heard: "I want to talk to a person", steps: [
                .call(name: "escalate_to_human", arguments: #"{"department":"billing","reason":"wants a person"}"#),
            ]),
        ], unscriptedReply: .say("Connecting you now.", milliseconds: 600)))  // stopped when released
        let keyFile = directory.file("realtime-key")
        try "sk-standin".write(toFile: keyFile, atomically: true, encoding: .utf8)
        chmod(keyFile, 0o600)
        let voice = """
                voice:
                  mode: realtime
                  realtime: {url: "\(standIn.url)", api_key_file: "\(keyFile)", connect_timeout_ms: 2000, stall_timeout_ms: 4000}

            """
        let (host, port) = try startTelephonyHost(recordings: directory.file("recordings"), voice: voice)
        let callSid = "CA" + String(repeating: "feedbeef", count: 4)
        let streamSid = "MZ" + String(repeating: "7", count: 32)
        twilio.placeCall(callSid)
        let streamURL = "ws://127.0.0.1:\(port)/twilio/media"
        let call = try VoiceTestCaller(url: streamURL, headers: try TwilioTestSignature.streamHeaders(authToken: twilio.authToken, url: streamURL))
        call.socket.send(text: #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
        call.socket.send(text: Self.start(streamSid: streamSid, callSid: callSid, caller: "+15553334444"))
        let speech = try await VoiceTestCaller.speech("I want to talk to a person.")
        let frames = try VoiceTestCaller.muLawFrames(VoiceTestCaller.silence(milliseconds: 3_000) + speech + VoiceTestCaller.silence(milliseconds: 1_500))
        try await call.stream(frames) { TwilioMediaTests.media($0, streamSid: streamSid) }

        var transferred: TwilioRESTStandIn.Call?
        for _ in 0..<400 {
            if let state = twilio.call(callSid), state.whisperHeard != nil { transferred = state; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let state = try XCTUnwrap(transferred, "the call was transferred; API requests: \(twilio.requests)\n\(host.logText.suffix(3000))")
        XCTAssertEqual(state.dialed, "+15550100", "billing's target")
        XCTAssertTrue((state.whisperHeard ?? "").contains("billing team"), "the summary: \(state.whisperHeard ?? "")")
        XCTAssertTrue(state.bridged)
        let toModel = standIn.received("conversation.item.create").compactMap { ($0.object["item"] as? [String: Any])?["output"] as? String }
        XCTAssertTrue(toModel.contains { $0.contains(#""transferred":true"#) && $0.contains("say_to_caller") },
                      "the model is told to announce the transfer, not a queue ticket: \(toModel)")
        let closed = try await call.wait(seconds: 20) { $0.contains { if case .closed = $0.message { true } else { false } } }
        XCTAssertTrue(closed, "the media stream is closed after the transfer")
        call.close()

        let interaction = try await lastInteraction(caller: "+15553334444")
        let saved = try XCTUnwrap(interaction, "the session was persisted\n\(host.logText.suffix(2000))")
        XCTAssertEqual(saved["outcome"] as? String, "transferred", "\(saved)")
        XCTAssertNotNil(saved["recording"] as? String, "a Realtime call is recorded too")
    }

    func testStoredTranscriptsAreRedactedWhileTheConversationSeesTheRealText() throws {
        let (host, _) = try startTelephonyHost(recordings: directory.file("recordings"))
        let said = "my card is 4242 4242 4242 4242 and my email is jane.doe@example.com"
        let reply = try post(host.url + "/v1/chat", #"{"caller":"+15550007777","text":"\#(said)"}"#)
        XCTAssertEqual(reply.status, 200, reply.body)
        let user = reply.events.first { $0["type"] as? String == "user" }
        XCTAssertEqual(user?["text"] as? String, said, "the live conversation keeps the real words")
        let ended = try post(host.url + "/v1/chat", #"{"session_id":"\#(reply.sessionID)","end":true}"#)
        XCTAssertEqual(ended.status, 200, ended.body)
        let json = try redis.cli("GET", "support:session:demo:+15550007777")
        XCTAssertTrue(json.contains("[card number]") && json.contains("[email]"), json)
        XCTAssertFalse(json.contains("4242") || json.contains("jane.doe"), json)
        // A tenant's recording of a chat session does not exist: 404, with the reason.
        let none = try get(host.url + "/v1/sessions/\(reply.sessionID)/recording")
        XCTAssertEqual(none.status, 404, none.body)
    }

    // MARK: WAV reading

    static func stereo(_ wav: Data) -> (channels: Int, rate: Int, left: [Int16], right: [Int16]) {
        let bytes = [UInt8](wav)
        guard bytes.count >= 44 else { return (0, 0, [], []) }
        let channels = Int(bytes[22]) | Int(bytes[23]) << 8
        let rate = Int(bytes[24]) | Int(bytes[25]) << 8 | Int(bytes[26]) << 16
        var left: [Int16] = [], right: [Int16] = []
        var index = 44
        while index + 3 < bytes.count {
            left.append(Int16(bitPattern: UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8))
            right.append(Int16(bitPattern: UInt16(bytes[index + 2]) | UInt16(bytes[index + 3]) << 8))
            index += 4
        }
        return (channels, rate, left, right)
    }

    static func rms(_ samples: [Int16]) -> Double {
        guard !samples.isEmpty else { return 0 }
        return (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
    }

    /// The first sample of the first 20 ms window louder than a whisper.
    static func firstLoud(_ samples: [Int16]) -> Int? {
        stride(from: 0, to: samples.count - 160, by: 160).first { rms(Array(samples[$0..<$0 + 160])) > 300 }
    }
}
