import Foundation

/// STAND-IN for an OpenAI-compatible Chat Completions server (OpenAI, vLLM, llama.cpp server,
/// Ollama), for tests and benchmarks only: nothing here can reach a real provider, and a test
/// must be able to script exactly what "the model" says and how the service fails.
///
/// It answers `POST /v1/chat/completions` in the real wire format: with `"stream": true` a
/// `text/event-stream` of `chat.completion.chunk` objects (a role chunk first, content in word
/// pieces, tool calls with `id`/`name` only on their first fragment and `arguments` split across
/// later ones, a final chunk with `finish_reason`, then `data: [DONE]`); otherwise one
/// `chat.completion` object. Replies come from a queue (`enqueue`), else from `rule`. Every
/// request is recorded so tests can assert what the host sent. Failures are scripted per request.
public final class ChatCompletionsStandIn: @unchecked Sendable {
    // @unchecked: mutable state behind `lock`.
    private let lock = NSLock()
    private var queue: [StandInReply] = []
    private var recorded: [StandInHTTPServer.Request] = []
    private var replyRule: (@Sendable (StandInHTTPServer.Request) -> StandInReply)?
    private var server: StandInHTTPServer!
    private var sequence = 0
    /// When set, requests must carry `Authorization: Bearer <apiKey>` (else 401, as OpenAI does).
    public let apiKey: String?
    /// Pause between streamed chunks (a model's token rate); 0 for the benchmark.
    public let chunkDelayMilliseconds: Int
    /// Tool-call arguments are cut into pieces of this many characters.
    public let argumentPieceLength: Int
    /// Speech and transcription stand-ins (Sources/ModelStandIn/AudioStandIn.swift).
    public let audio = AudioStandIn()

    public init(apiKey: String? = nil, chunkDelayMilliseconds: Int = 0, argumentPieceLength: Int = 7) {
        self.apiKey = apiKey
        self.chunkDelayMilliseconds = chunkDelayMilliseconds
        self.argumentPieceLength = max(1, argumentPieceLength)
        server = StandInHTTPServer { [unowned self] request, responder in handle(request, responder) }
    }

    @discardableResult
    public func start() throws -> Int { try server.start() }
    public func stop() { server.stop() }
    public var port: Int { server.port }
    /// What a tenant's `base_url` would be.
    public var baseURL: String { "http://127.0.0.1:\(server.port)/v1" }

    /// Replies for the next requests, in order.
    public func enqueue(_ replies: StandInReply...) {
        lock.withLock { queue.append(contentsOf: replies) }
    }

    /// Decides replies when the queue is empty (default: a short text).
    public func setRule(_ rule: (@Sendable (StandInHTTPServer.Request) -> StandInReply)?) {
        lock.withLock { replyRule = rule }
    }

    /// Chat Completions requests received so far, in order.
    public var requests: [StandInHTTPServer.Request] { lock.withLock { recorded } }

    /// Forgets queued replies, the rule and recorded requests (between tests).
    public func reset() {
        lock.withLock {
            queue.removeAll()
            recorded.removeAll()
            replyRule = nil
        }
    }

    // MARK: serving

    private func handle(_ request: StandInHTTPServer.Request, _ responder: StandInHTTPServer.Responder) {
        if request.path.hasPrefix("/v1/audio/") {
            return audio.handle(request, responder, apiKey: apiKey)
        }
        guard request.method == "POST", request.path == "/v1/chat/completions" else {
            return responder.respond(status: 404, headers: [("Content-Type", "application/json")],
                                     body: Array(#"{"error":{"message":"Unknown request URL","type":"invalid_request_error"}}"#.utf8))
        }
        let (reply, number): (StandInReply, Int) = lock.withLock {
            recorded.append(request)
            sequence += 1
            let reply = queue.isEmpty ? (replyRule?(request) ?? .text("How can I help you today?")) : queue.removeFirst()
            return (reply, sequence)
        }
        if let apiKey, request.headers["authorization"] != "Bearer \(apiKey)" {
            return responder.respond(status: 401, headers: [("Content-Type", "application/json")], body: Array(
                #"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}"#.utf8))
        }
        let fields = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
        let model = fields["model"] as? String ?? "stand-in"
        let stream = fields["stream"] as? Bool ?? false
        let writer = CompletionWriter(id: "chatcmpl-standin\(number)", model: model, created: Int(Date().timeIntervalSince1970),
                                      argumentPieceLength: argumentPieceLength)
        switch reply {
        case .failure(let failure):
            fail(failure, writer: writer, responder)
        case .text, .toolCalls:
            if stream {
                responder.beginChunked(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
                for event in writer.streamEvents(reply) { send(event, responder) }
                responder.endChunks()
            } else {
                responder.respond(status: 200, headers: [("Content-Type", "application/json")], body: Array(writer.whole(reply).utf8))
            }
        }
    }

    private func send(_ data: String, _ responder: StandInHTTPServer.Responder) {
        if chunkDelayMilliseconds > 0 { usleep(UInt32(chunkDelayMilliseconds * 1000)) }
        responder.chunk(Array("data: \(data)\n\n".utf8))
    }

    private func fail(_ failure: StandInFailure, writer: CompletionWriter, _ responder: StandInHTTPServer.Responder) {
        switch failure {
        case .status(let status, let retryAfter):
            var headers = [("Content-Type", "application/json")]
            if let retryAfter { headers.append(("Retry-After", retryAfter)) }
            let message = status == 429 ? "Rate limit reached for requests" : "The server had an error while processing your request. Sorry about that!"
            let type = status == 429 ? "requests" : "server_error"
            responder.respond(status: status, headers: headers, body: Array(#"{"error":{"message":"\#(message)","type":"\#(type)","param":null,"code":null}}"#.utf8))
        case .hang:
            responder.hang()
        case .malformedChunk:
            responder.beginChunked(status: 200, headers: [("Content-Type", "text/event-stream")])
            send(writer.chunk(delta: #"{"role":"assistant","content":""}"#), responder)
            send(#"{"id":"\#(writer.id)","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"#, responder)
            send("[DONE]", responder)
            responder.endChunks()
        case .dropMidStream(let text):
            responder.beginChunked(status: 200, headers: [("Content-Type", "text/event-stream")])
            let events = writer.streamEvents(.text(text))
            // Role chunk and the text's pieces, but no finish chunk and no [DONE]: the connection just ends.
            for event in events.dropLast(2) { send(event, responder) }
            responder.drop()
        }
    }
}

/// One scripted answer of the stand-in model.
public enum StandInReply: Sendable {
    case text(String)
    case toolCalls([StandInToolCall])
    case failure(StandInFailure)
}

public struct StandInToolCall: Sendable {
    public let name: String
    /// JSON text, exactly as the model would produce it.
    public let arguments: String

    public init(_ name: String, _ arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}

/// How one request fails.
public enum StandInFailure: Sendable {
    /// An error status with OpenAI's error body, and `Retry-After` when given (seconds or HTTP-date).
    case status(Int, retryAfter: String?)
    /// Reads the request and never answers.
    case hang
    /// A chunk whose JSON is cut off.
    case malformedChunk
    /// Streams `text` (may be empty), then closes the connection before the final chunk and [DONE].
    case dropMidStream(text: String)
}
