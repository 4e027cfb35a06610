import HostAudio
import HostModels
import HostNet
import HostOrchestration
import HostSpeech

/// A tenant as the server serves it: its plugins (the orchestration's runtime) and its policy.
public struct ServedTenant: Sendable {
    public let runtime: TenantRuntime
    /// Stored API key hashes; empty means the tenant needs no key.
    public let apiKeyHashes: [String]
    public let maxConcurrentSessions: Int
    public let maxSessionsPerCaller: Int
    /// How its voice calls detect turns and sound.
    public let voice: TenantVoice

    public init(runtime: TenantRuntime, apiKeyHashes: [String] = [], maxConcurrentSessions: Int = 1000, maxSessionsPerCaller: Int = 2,
                voice: TenantVoice = TenantVoice()) {
        self.runtime = runtime
        self.apiKeyHashes = apiKeyHashes
        self.maxConcurrentSessions = maxConcurrentSessions
        self.maxSessionsPerCaller = maxSessionsPerCaller
        self.voice = voice
    }

    public var id: String { runtime.id }
}

/// A tenant's voice calls: server-VAD turn detection and the synthesiser voice.
public struct TenantVoice: Sendable, Equatable {
    public var turnDetection: TurnDetectionSettings
    /// `mode: semantic`: end of turn from meaning (nil: server VAD with its fixed silence window).
    public var semantic: SemanticTurnSettings?
    /// Semantic mode: what a caller may say during playback without stopping the agent.
    public var backchannels = Backchannels()
    /// Synthesis engine: "flite" (default) or "espeak-ng".
    public var engine: String
    /// The engine's voice name (nil: its default; espeak-ng takes e.g. "en-us", "en-gb").
    public var name: String?
    /// Realtime calls (`realtime` set) or the cascaded pipeline.
    public var mode: VoiceMode
    public var realtime: RealtimeVoice?
    /// Cloud speech endpoints (`stt: openai`, `tts: openai`); nil = offline engines.
    public var transcription: AudioEndpoint?
    public var speech: AudioEndpoint?
    /// `recognition:` the offline recogniser's profile (docs/voice.md, `RecognitionProfile`).
    public var recognition = RecognitionProfile.standard

    public init(turnDetection: TurnDetectionSettings = TurnDetectionSettings(), engine: String = "flite", name: String? = nil,
                mode: VoiceMode = .cascaded, realtime: RealtimeVoice? = nil, transcription: AudioEndpoint? = nil, speech: AudioEndpoint? = nil) {
        self.turnDetection = turnDetection
        self.engine = engine
        self.name = name
        self.mode = mode
        self.realtime = realtime
        self.transcription = transcription
        self.speech = speech
    }

    /// What a Realtime call of this tenant connects with (nil in cascaded mode): the tenant's
    /// turn detection becomes the service's server VAD; `format` is the call's wire audio.
    package func realtimeConfiguration(format: RealtimeAudioFormat) -> RealtimeConfiguration? {
        guard mode == .realtime, let realtime else { return nil }
        return RealtimeConfiguration(url: realtime.url, model: realtime.model, apiKey: realtime.apiKey.reveal(), voice: realtime.voice,
                                     audioFormat: format,
                                     turnDetection: RealtimeTurnDetection(threshold: turnDetection.threshold,
                                                                          prefixPaddingMilliseconds: turnDetection.prefixPaddingMilliseconds,
                                                                          silenceDurationMilliseconds: turnDetection.silenceMilliseconds),
                                     tls: TLSClientConfiguration(caFile: realtime.caFile),
                                     connectTimeoutMilliseconds: realtime.connectTimeoutMilliseconds,
                                     stallTimeoutMilliseconds: realtime.stallTimeoutMilliseconds)
    }
}

extension TenantVoice {
    /// A configured tenant's `turn_detection:` and `voice:` sections.
    public init(configured tenant: HostConfiguration.Tenant) {
        let detection = tenant.turnDetection
        self.init(turnDetection: TurnDetectionSettings(threshold: detection.threshold,
                                                       prefixPaddingMilliseconds: detection.prefixPaddingMilliseconds,
                                                       silenceMilliseconds: detection.silenceMilliseconds),
                  engine: tenant.voice.engine, name: tenant.voice.name, mode: tenant.voice.mode, realtime: tenant.voice.realtime,
                  transcription: tenant.voice.transcription, speech: tenant.voice.speech)
        semantic = detection.semantic
        backchannels = Backchannels(extra: detection.backchannels)
        recognition = tenant.voice.recognition
    }
}
