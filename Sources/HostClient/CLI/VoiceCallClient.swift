import Foundation
import HostAudio
import HostNet

/// `agent-host call`: one voice call over `WS /ws/voice/{caller}` (docs/protocol.md §2) from a WAV file or
/// `--say` text. The caller's audio is streamed in 20 ms frames in real time, then silence (a phone
/// line stays open, and the server VAD needs it to see the turn end) until the agent has answered
/// and its audio has stopped arriving; then `{"type":"end"}`. Events print as they arrive, with a
/// latency line per turn (`call_latency`); the agent's audio, up to the host closing the line, is
/// saved to `outPath` at the session rate.
public struct VoiceCallClient {
    public var url = "http://127.0.0.1:8080"
    public var caller = "+15550001234"
    public var tenant: String?
    public var token: String?
    public var json = false
    public var wavPath: String?
    public var sayText: String?
    public var outPath: String?
    /// How long to wait for the agent once the caller's audio has been sent.
    public var answerTimeoutSeconds = 30.0

    public init() {}

    public func run() throws(LocalChat.Failure) {
        if wavPath != nil && sayText != nil { throw LocalChat.Failure(description: "call takes --wav FILE or --say TEXT, not both", exitCode: 2) }
        let socketURL = try Self.voiceURL(base: url, caller: caller, tenant: tenant)
        let audio = try CallerAudio.load(wav: wavPath, say: sayText)
        guard audio.samples.count >= audio.sampleRate / 50 else {
            throw LocalChat.Failure(description: "\(wavPath ?? "--say") holds less than 20 ms of audio", exitCode: 2)
        }
        let loop = EventLoop(name: "call-client")
        loop.start()
        defer { loop.stop() }
        let printer = EventPrinter(json: json)
        let call = CallConnection(loop: loop, audio: audio, answerTimeoutMilliseconds: UInt64(answerTimeoutSeconds * 1000)) { text in
            Self.show(text, printer: printer)
        }
        let headers = HTTPHeaders(token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        WebSocketClient.connect(socketURL, headers: headers, loop: loop, handler: call.handler()) { error in call.failed(error) }
        let outcome = call.wait()
        let received = WAVAudio(samples: outcome.agentAudio, sampleRate: audio.sampleRate)
        var summary = String(format: "[agent audio: %.1f s at %d Hz", received.seconds, received.sampleRate)
        if let outPath, outcome.connected {
            do { try WAVFile.write(received, to: outPath) } catch { throw LocalChat.Failure(description: error.description, exitCode: 1) }
            summary += " saved to \(outPath)"
        }
        if outcome.connected { FileHandle.standardError.write(Data((summary + "]\n").utf8)) }
        if let problem = outcome.problem { throw LocalChat.Failure(description: problem, exitCode: 1) }
    }

    /// `http://host:port` (or `ws://`) → `ws://host:port/ws/voice/{caller}?tenant=T`.
    static func voiceURL(base: String, caller: String, tenant: String?) throws(LocalChat.Failure) -> String {
        var root = base
        if root.hasPrefix("http://") { root = "ws://" + root.dropFirst(7) }
        guard root.hasPrefix("ws://"), root.count > 5 else {
            throw LocalChat.Failure(description: "--url must be http://HOST:PORT or ws://HOST:PORT (TLS is not supported by call): \(base)", exitCode: 2)
        }
        while root.hasSuffix("/") { root.removeLast() }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let path = caller.addingPercentEncoding(withAllowedCharacters: allowed) ?? caller
        let query = tenant.map { "?tenant=" + ($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0) } ?? ""
        return "\(root)/ws/voice/\(path)\(query)"
    }

    /// One event as received: the JSON line itself with `--json`, else a readable line (what the
    /// caller was heard saying, what the agents said, handoffs, tools, the end).
    static func show(_ text: String, printer: EventPrinter) {
        if printer.json {
            print(text)
        } else if let event = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
            switch event["type"] as? String {
            case "user":
                // Partial transcripts (final: false) come while the caller talks; --json shows them.
                guard event["final"] as? Bool != false else { break }
                print("caller (heard): \(event["text"] as? String ?? "")")
            case "interrupted": print("[caller interrupted the agent]")
            case "call_latency":
                print("[latency, turn \(event["turn"] ?? ""): \(event["end_of_speech_to_first_audio_ms"] ?? "") ms from the end of the caller's speech to the agent's first audio]")
            case "turn_end":
                if let line = printer.readable(raw: event) { print(line) }
                if let latency = event["latency_ms"] as? [String: Any], let line = latencyLine(latency) { print(line) }
            default: if let line = printer.readable(raw: event) { print(line) }
            }
        }
        fflush(nil)
    }

    /// `turn_end`'s `latency_ms` as the host measured it (docs/protocol.md §1), stage by stage.
    static func latencyLine(_ latency: [String: Any]) -> String? {
        let stages = [("turn_decided", "turn decided"), ("transcript_final", "transcript final"), ("first_agent_text", "first agent text"),
                      ("first_agent_audio", "first agent audio")]
        var parts = stages.compactMap { key, label in (latency[key] as? Double).map { String(format: "%@ %.0f", label, $0) } }
        if !parts.isEmpty { parts[0] = "end of speech -> " + parts[0] }
        var line = parts.joined(separator: " -> ")
        if let ttft = latency["model_first_token"] as? Double { line += (line.isEmpty ? "" : "; ") + String(format: "model first token %.0f", ttft) }
        return line.isEmpty ? nil : "[host latency, ms: " + line + "]"
    }
}
