import Foundation

/// STAND-IN for OpenAI's audio endpoints (tests only): `POST /v1/audio/transcriptions`
/// (multipart form: `file`, `model`, optional `language`/`prompt`) answers `{"text": …}` with the
/// scripted transcript; `POST /v1/audio/speech` (`response_format: "pcm"`) streams 24 kHz
/// PCM16 LE mono — a tone, 60 ms per word of input — in 100 ms chunks, as the real service does.
public final class AudioStandIn: @unchecked Sendable {
    // @unchecked: state behind `lock`.
    private let lock = NSLock()
    private var transcript = "I need a refund for order ORD-12345"
    private var recorded: [StandInHTTPServer.Request] = []
    private var failNext: Int?

    init() {}

    public func setTranscript(_ text: String) { lock.withLock { transcript = text } }
    /// The next audio request answers this status.
    public func failNextRequest(status: Int) { lock.withLock { failNext = status } }
    public var requests: [StandInHTTPServer.Request] { lock.withLock { recorded } }

    /// Bytes of PCM16 the speech stand-in sends for `input`.
    public static func speechBytes(for input: String) -> Int {
        let words = max(1, input.split(separator: " ").count)
        return words * 24_000 * 60 / 1000 * 2
    }

    func handle(_ request: StandInHTTPServer.Request, _ responder: StandInHTTPServer.Responder, apiKey: String?) {
        let (text, failure): (String, Int?) = lock.withLock {
            recorded.append(request)
            defer { failNext = nil }
            return (transcript, failNext)
        }
        let json = [("Content-Type", "application/json")]
        if let apiKey, request.headers["authorization"] != "Bearer \(apiKey)" {
            return responder.respond(status: 401, headers: json, body: Array(#"{"error":{"message":"Incorrect API key provided."}}"#.utf8))
        }
        if let failure {
            return responder.respond(status: failure, headers: json, body: Array(#"{"error":{"message":"stand-in failure"}}"#.utf8))
        }
        switch request.path {
        case "/v1/audio/transcriptions":
            let body = request.text
            guard request.headers["content-type"]?.hasPrefix("multipart/form-data; boundary=") == true,
                  body.contains("name=\"file\""), body.contains("name=\"model\"") else {
                return responder.respond(status: 400, headers: json, body: Array(#"{"error":{"message":"multipart form with file and model required"}}"#.utf8))
            }
            responder.respond(status: 200, headers: json, body: Array("{\"text\":\(quote(text))}".utf8))
        case "/v1/audio/speech":
            let fields = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
            guard let input = fields["input"] as? String, fields["model"] is String, fields["response_format"] as? String == "pcm" else {
                return responder.respond(status: 400, headers: json, body: Array(#"{"error":{"message":"model, input and response_format pcm required"}}"#.utf8))
            }
            responder.beginChunked(status: 200, headers: [("Content-Type", "audio/pcm")])
            let total = Self.speechBytes(for: input)
            var sent = 0
            var phase = 0.0
            while sent < total {
                let count = min(4_800, total - sent)
                var chunk = [UInt8](repeating: 0, count: count)
                for index in stride(from: 0, to: count - 1, by: 2) {
                    let sample = Int16(8_000 * sin(phase))
                    phase += 2 * Double.pi * 220 / 24_000
                    chunk[index] = UInt8(truncatingIfNeeded: sample)
                    chunk[index + 1] = UInt8(truncatingIfNeeded: sample >> 8)
                }
                responder.chunk(chunk)
                sent += count
            }
            responder.endChunks()
        default:
            responder.respond(status: 404, headers: json, body: Array(#"{"error":{"message":"Unknown request URL"}}"#.utf8))
        }
    }
}
