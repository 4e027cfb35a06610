import HostNet

/// The audio both directions use on the wire. `pcm16` is 24 kHz mono little-endian PCM (what the
/// model speaks natively); `pcmu` is G.711 mu-law at 8 kHz, passed through from a phone line.
public enum RealtimeAudioFormat: Sendable, Equatable {
    case pcm16
    case pcmu

    public var sampleRate: Int { self == .pcm16 ? 24_000 : 8_000 }
    var bytesPerSample: Int { self == .pcm16 ? 2 : 1 }
}

/// Server VAD settings (`turn_detection` of type `server_vad`), from the tenant's voice settings.
public struct RealtimeTurnDetection: Sendable, Equatable {
    /// 0...1: how loud speech must be (OpenAI's default 0.5).
    public var threshold: Double
    public var prefixPaddingMilliseconds: Int
    public var silenceDurationMilliseconds: Int

    public init(threshold: Double = 0.5, prefixPaddingMilliseconds: Int = 300, silenceDurationMilliseconds: Int = 500) {
        self.threshold = threshold
        self.prefixPaddingMilliseconds = prefixPaddingMilliseconds
        self.silenceDurationMilliseconds = silenceDurationMilliseconds
    }
}

/// A function the model may call: `parametersJSON` is its JSON Schema, spliced as is.
public struct RealtimeTool: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parametersJSON: String

    public init(name: String, description: String, parametersJSON: String) {
        self.name = name
        self.description = description
        self.parametersJSON = parametersJSON
    }
}

/// Where and how to reach the Realtime API (GA: no beta header).
public struct RealtimeConfiguration: Sendable {
    /// `wss://api.openai.com/v1/realtime` in production; the stand-in's URL in tests.
    public var url: String
    public var model: String
    public var apiKey: String
    public var voice: String
    public var audioFormat: RealtimeAudioFormat
    public var turnDetection: RealtimeTurnDetection
    /// How the server's certificate is verified (system store unless `caFile`).
    public var tls: TLSClientConfiguration
    /// Connect, TLS and the WebSocket handshake together.
    public var connectTimeoutMilliseconds: UInt64
    /// While we wait on the server (for `session.created`/`session.updated`, or for a response
    /// in progress to go on), this long without any server event counts as a hang.
    public var stallTimeoutMilliseconds: UInt64

    public init(url: String = "wss://api.openai.com/v1/realtime", model: String = "gpt-realtime", apiKey: String,
                voice: String = "marin", audioFormat: RealtimeAudioFormat = .pcm16,
                turnDetection: RealtimeTurnDetection = RealtimeTurnDetection(), tls: TLSClientConfiguration = TLSClientConfiguration(),
                connectTimeoutMilliseconds: UInt64 = 5_000, stallTimeoutMilliseconds: UInt64 = 8_000) {
        self.url = url
        self.model = model
        self.apiKey = apiKey
        self.voice = voice
        self.audioFormat = audioFormat
        self.turnDetection = turnDetection
        self.tls = tls
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.stallTimeoutMilliseconds = stallTimeoutMilliseconds
    }

    /// The URL with `?model=` (or `&model=`) appended.
    var connectURL: String {
        let separator = url.contains("?") ? "&" : "?"
        return "\(url)\(separator)model=\(model)"
    }
}
