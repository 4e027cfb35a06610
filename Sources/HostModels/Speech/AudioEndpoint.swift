/// An OpenAI-compatible audio endpoint: `POST {baseURL}/audio/transcriptions` (speech to text,
/// e.g. `gpt-4o-transcribe`, `whisper-1`) or `POST {baseURL}/audio/speech` (text to speech, e.g.
/// `gpt-4o-mini-tts`, `tts-1`).
public struct AudioEndpoint: Sendable, Equatable {
    public var baseURL: String
    public var model: String
    public var apiKey: Secret?
    /// PEM CA bundle to trust (verification is never turned off).
    public var caFile: String?
    /// Speech: the default voice ("alloy"); transcription: unused.
    public var voice: String
    /// Transcription: ISO-639-1 language hint ("en"); nil lets the service detect it.
    public var language: String?
    public var timeoutMilliseconds: Int

    public init(baseURL: String, model: String, apiKey: Secret? = nil, voice: String = "alloy", language: String? = "en",
                timeoutMilliseconds: Int = 15_000) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.voice = voice
        self.language = language
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    func url(_ path: String) -> String { ChatCompletionsEndpoint.join(baseURL, path) }

    var providerName: String { ChatCompletionsEndpoint(baseURL: baseURL, model: model).providerName }

    func request(_ path: String, contentType: String, body: [UInt8]) -> ClientRequestParts {
        var headers: [(String, String)] = [("Content-Type", contentType)]
        if let apiKey { headers.append(("Authorization", "Bearer " + apiKey.reveal())) }
        return ClientRequestParts(url: url(path), headers: headers, body: body)
    }
}

/// What `AudioEndpoint.request` produces, turned into a HostNet request by the callers.
struct ClientRequestParts {
    let url: String
    let headers: [(String, String)]
    let body: [UInt8]
}
