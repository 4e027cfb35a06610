/// Where a tenant's model lives and how patiently to talk to it (docs/models.md). Any
/// OpenAI-compatible server: OpenAI, vLLM, llama.cpp's server, Ollama.
public struct ChatCompletionsEndpoint: Sendable, Equatable {
    public struct Timeouts: Sendable, Equatable {
        /// DNS + TCP + TLS handshake.
        public var connectMilliseconds = 5_000
        /// From sending the request to the first byte of the answer (the model's thinking time).
        public var firstByteMilliseconds = 10_000
        /// Longest silence between two pieces of a streamed answer.
        public var idleMilliseconds = 10_000
        /// One request from start to end, retries not included.
        public var totalMilliseconds = 60_000

        public init() {}
    }

    /// e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama); no trailing slash needed.
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer …`; nil sends none (a local server without auth).
    public var apiKey: Secret?
    /// PEM CA bundle to trust for this endpoint (a private CA); verification is never turned off.
    public var caFile: String?
    public var timeouts = Timeouts()
    /// Further attempts after a 429, a 5xx, a timeout or a dropped connection, before anything
    /// was passed to the caller.
    public var maxRetries = 2
    /// First backoff; doubles per attempt, with jitter, capped by `maxBackoffMilliseconds`.
    public var baseBackoffMilliseconds = 250
    /// Also caps how long a `Retry-After` is waited for; a longer one fails at once.
    public var maxBackoffMilliseconds = 8_000
    public var temperature: Double?
    public var maxTokens: Int?

    public init(baseURL: String, model: String, apiKey: Secret? = nil) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
    }

    public var chatCompletionsURL: String { Self.join(baseURL, "chat/completions") }

    static func join(_ base: String, _ path: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + path
    }

    /// Names the provider in messages: scheme, host and port of the base URL (never the key).
    public var providerName: String {
        guard let schemeEnd = baseURL.range(of: "://") else { return baseURL }
        let rest = baseURL[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" }
        return String(baseURL[..<schemeEnd.upperBound] + host)
    }
}

/// A credential that never prints: `description`, `debugDescription` and reflection show
/// `<redacted>`, so it cannot leak through logs, errors or string interpolation by accident.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The credential itself: only for the one header that carries it.
    public func reveal() -> String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
