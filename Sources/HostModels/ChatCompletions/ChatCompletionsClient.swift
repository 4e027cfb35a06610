import HostNet

/// What a streamed completion reports, in order: any number of `.text`, then exactly one
/// `.completed` or `.failed` (nothing after `cancel()`).
public enum ChatStreamEvent: Sendable {
    case text(String)
    case completed(ChatCompletion)
    case failed(ModelFailure)
}

/// Talks to an OpenAI-compatible `POST /chat/completions` with `stream: true`, over the host's
/// curl-multi client on its loop: nothing blocks, and the SSE bytes are parsed as they arrive.
public final class ChatCompletionsClient: Sendable {
    public let endpoint: ChatCompletionsEndpoint
    public let http: HTTPClient
    let policy: RetryPolicy
    let headers: HTTPHeaders

    public init(endpoint: ChatCompletionsEndpoint, http: HTTPClient) {
        self.endpoint = endpoint
        self.http = http
        policy = RetryPolicy(maxRetries: endpoint.maxRetries, baseMilliseconds: endpoint.baseBackoffMilliseconds,
                             capMilliseconds: endpoint.maxBackoffMilliseconds)
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Accept": "text/event-stream"]
        if let key = endpoint.apiKey { headers["Authorization"] = "Bearer " + key.reveal() }
        self.headers = headers
    }

    public var loop: EventLoop { http.loop }

    /// Streams one completion of `messages` with the functions in `toolsJSON`
    /// (`ChatRequestBuilder.toolsJSON`). `handler` runs on the client's loop thread. `extraHeaders`
    /// go out on every attempt (the W3C `traceparent` of the step asking).
    @discardableResult
    public func stream(messages: [ChatMessage], toolsJSON: String, extraHeaders: [(String, String)] = [],
                       handler: @escaping @Sendable (ChatStreamEvent) -> Void) -> ChatStreamCall {
        let body = ChatRequestBuilder.body(model: endpoint.model, messages: messages, toolsJSON: toolsJSON, stream: true,
                                           temperature: endpoint.temperature, maxTokens: endpoint.maxTokens)
        let call = ChatStreamCall(client: self, body: body, handler: handler)
        call.extraHeaders = extraHeaders
        if loop.inLoopThread { call.attempt() } else { loop.execute { call.attempt() } }
        return call
    }
}

/// One streamed completion across its attempts. Loop-thread state (the client's loop).
public final class ChatStreamCall: @unchecked Sendable {
    // @unchecked: every mutable field is touched only on the client's loop thread.
    private let client: ChatCompletionsClient
    private let body: [UInt8]
    private let handler: @Sendable (ChatStreamEvent) -> Void
    private var attempts = 0
    private var requestID: UInt64?
    private var deadline: LoopDeadline?
    /// Waits out the backoff before a retry.
    private var backoff: LoopTimer?
    private var finished = false
    // Per attempt:
    private var parser = SSEParser()
    private var decoder = ChatStreamDecoder()
    private var status = 0
    private var retryAfter: String?
    private var errorBody: [UInt8] = []
    private var receivedAny = false
    private var stopReason: ModelFailure?
    /// Text was passed on: from then on a failure is final (the caller already heard part of it).
    private var deliveredText = false
    /// Set once before the first attempt.
    var extraHeaders: [(String, String)] = []

    init(client: ChatCompletionsClient, body: [UInt8], handler: @escaping @Sendable (ChatStreamEvent) -> Void) {
        self.client = client
        self.body = body
        self.handler = handler
    }

    private var endpoint: ChatCompletionsEndpoint { client.endpoint }
    private var provider: String { endpoint.providerName }

    /// [thread-safe] Stops the request; no event follows.
    public func cancel() {
        let loop = client.loop
        loop.execute { [self] in
            guard !finished else { return }
            finished = true
            closeTimer()
            if let requestID { client.http.cancel(requestID) }
        }
    }

    func attempt() {
        guard !finished else { return }
        attempts += 1
        parser = SSEParser()
        decoder = ChatStreamDecoder()
        status = 0
        retryAfter = nil
        errorBody.removeAll()
        receivedAny = false
        stopReason = nil
        var request = ClientRequest(method: "POST", url: endpoint.chatCompletionsURL, headers: client.headers, body: body,
                                    timeoutMilliseconds: endpoint.timeouts.totalMilliseconds)
        for (name, value) in extraHeaders { request.headers[name] = value }
        request.connectTimeoutMilliseconds = endpoint.timeouts.connectMilliseconds
        request.caFile = endpoint.caFile
        request.onData = { [self] status, headers, bytes in receive(status, headers, bytes) }
        arm(endpoint.timeouts.firstByteMilliseconds, "no response within \(endpoint.timeouts.firstByteMilliseconds) ms")
        requestID = client.http.send(request) { [self] result in complete(result) }
    }

    /// A first-byte or idle deadline: when it passes, the request is stopped and counts as a timeout.
    /// Chunks only `touch` it (no timer work per chunk).
    private func arm(_ milliseconds: Int, _ why: String) {
        let deadline = self.deadline ?? LoopDeadline(loop: client.loop)
        self.deadline = deadline
        deadline.start(milliseconds: UInt64(milliseconds)) { [self] in
            guard !finished, stopReason == nil else { return }
            stopReason = ModelFailure(reason: .timeout, message: "\(provider): \(why)", attempts: attempts)
            if let requestID { client.http.cancel(requestID) }
        }
    }

    private func closeTimer() {
        deadline?.close()
        deadline = nil
        backoff?.close()
        backoff = nil
    }

    private func receive(_ status: Int, _ headers: HTTPHeaders, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !finished, stopReason == nil else { return false }
        if !receivedAny {
            receivedAny = true
            self.status = status
            retryAfter = headers["Retry-After"]
            arm(endpoint.timeouts.idleMilliseconds, "the stream stalled for \(endpoint.timeouts.idleMilliseconds) ms")
        } else {
            deadline?.touch()
        }
        guard status == 200 else {
            if errorBody.count < 4096 { errorBody.append(contentsOf: bytes.prefix(4096 - errorBody.count)) }
            return true
        }
        var keepGoing = true
        parser.feed(bytes) { event in
            guard keepGoing else { return }
            do throws(ChatStreamDecoder.Malformed) {
                if case .text(let text) = try decoder.decode(event.data) {
                    deliveredText = true
                    handler(.text(text))
                }
            } catch {
                stopReason = ModelFailure(reason: .malformed, message: "\(provider): \(error.description)", attempts: attempts)
                keepGoing = false
            }
        }
        return keepGoing
    }

    private func complete(_ result: ClientResult) {
        requestID = nil
        guard !finished else { return }
        deadline?.close()
        deadline = nil
        let failure: ModelFailure
        if let stopReason {
            failure = stopReason
        } else {
            switch result {
            case .failure(let error):
                let reason: ModelFailure.Reason = error.kind == .timeout ? .timeout : .connection
                let broke = receivedAny && reason == .connection ? "the stream broke off: " : ""
                failure = ModelFailure(reason: reason, message: "\(provider): \(broke)\(error.message)", attempts: attempts)
            case .success(let response):
                if status == 0 { status = response.status }
                if status == 200 {
                    if decoder.sawDone || decoder.completion.finishReason != nil {
                        if !decoder.sawDone { decoder.finishToolCalls() }
                        finish(.completed(decoder.completion))
                        return
                    }
                    failure = ModelFailure(reason: .connection, message: "\(provider): the stream ended before [DONE]", attempts: attempts)
                } else {
                    if retryAfter == nil { retryAfter = response.headers["Retry-After"] }
                    failure = statusFailure(status)
                }
            }
        }
        retryOrFail(failure)
    }

    private func statusFailure(_ status: Int) -> ModelFailure {
        // 401/403 bodies may quote part of the key ("Incorrect API key provided: sk-…"): not repeated.
        var detail = ""
        if status != 401, status != 403, let message = (try? JSONValue.parse(String(decoding: errorBody, as: UTF8.self)))?["error"]?["message"]?.string {
            detail = ": " + String(redacting(message).prefix(200))
        }
        let reason: ModelFailure.Reason = status == 429 ? .rateLimited : (status >= 500 ? .serverError : .rejected)
        let hint = status == 401 || status == 403 ? " (check the tenant's model API key)" : ""
        return ModelFailure(reason: reason, message: "\(provider): HTTP \(status)\(detail)\(hint)", attempts: attempts)
    }

    private func redacting(_ text: String) -> String {
        guard let key = endpoint.apiKey?.reveal(), !key.isEmpty else { return text }
        return text.replacingOccurrences(of: key, with: "<redacted>")
    }

    private func retryOrFail(_ failure: ModelFailure) {
        let retryable: Set<ModelFailure.Reason> = [.timeout, .rateLimited, .serverError, .connection]
        guard retryable.contains(failure.reason), !deliveredText, attempts <= client.policy.maxRetries else {
            return finish(.failed(failure))
        }
        guard let delay = client.policy.delay(retry: attempts, retryAfter: retryAfter) else {
            let asked = ModelFailure(reason: failure.reason, message: failure.message + " (Retry-After \(retryAfter ?? "?") is longer than the \(endpoint.maxBackoffMilliseconds) ms backoff cap)", attempts: attempts)
            return finish(.failed(asked))
        }
        let timer = backoff ?? LoopTimer(loop: client.loop)
        backoff = timer
        timer.start(after: UInt64(delay)) { [self] in attempt() }
    }

    private func finish(_ event: ChatStreamEvent) {
        finished = true
        closeTimer()
        handler(event)
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return components(separatedBy: target).joined(separator: replacement)
    }
}
