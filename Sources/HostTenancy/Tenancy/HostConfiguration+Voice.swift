import Foundation
import HostModels
import HostSpeech

/// How a tenant's voice calls are driven (docs/models.md).
public enum VoiceMode: String, Sendable, Equatable, CaseIterable {
    /// Recognition → the tenant's agents (offline or `model:`) → synthesis.
    case cascaded
    /// OpenAI Realtime speech-to-speech; the cascaded offline pipeline takes over when it fails.
    case realtime
}

/// `voice.realtime:` — where the Realtime API is and how to reach it. The key is read at start
/// from the environment or a file, like `model:`'s, and is a `Secret` (never printed).
public struct RealtimeVoice: Sendable, Equatable {
    /// RealtimeConfiguration's defaults (the OpenAI URL, gpt-realtime, its voice and timeouts).
    private static let defaults = RealtimeConfiguration(apiKey: "")
    public var url = defaults.url
    public var model = defaults.model
    public var apiKey: Secret
    public var voice = defaults.voice
    public var caFile: String?
    public var connectTimeoutMilliseconds = defaults.connectTimeoutMilliseconds
    public var stallTimeoutMilliseconds = defaults.stallTimeoutMilliseconds

    public init(apiKey: Secret) {
        self.apiKey = apiKey
    }
}

extension HostConfiguration {
    static let voiceKeys = ["engine", "name", "mode", "realtime", "stt", "tts", "openai", "recognition"]
    static let realtimeKeys = ["url", "model", "api_key_env", "api_key_file", "voice", "ca_file", "connect_timeout_ms", "stall_timeout_ms"]
    static let cloudSpeechKeys = ["base_url", "api_key_env", "api_key_file", "stt_model", "tts_model", "tts_voice", "ca_file", "timeout_ms"]
    static let speechChoices = ["offline", "openai"]

    static func parseVoice(_ section: ConfigurationMapping?, baseDirectory: String?) throws(ConfigurationError) -> SpeechVoice {
        var voice = SpeechVoice()
        guard let section else { return voice }
        if let engine = try section.string("engine") {
            guard SpeechVoice.engines.contains(engine) else {
                throw section.fail(at: section.value("engine")!, nil, "engine \"\(engine)\" is not one of \(SpeechVoice.engines.joined(separator: ", "))")
            }
            voice.engine = engine
        }
        voice.name = try section.string("name")
        if let mode = try section.string("mode") {
            guard let chosen = VoiceMode(rawValue: mode) else {
                throw section.fail("mode", "\"\(mode)\" is not one of cascaded, realtime")
            }
            voice.mode = chosen
        }
        if let profile = try section.string("recognition") {
            guard let chosen = RecognitionProfile(rawValue: profile) else {
                let names = RecognitionProfile.allCases.map(\.rawValue).joined(separator: ", ")
                throw section.fail("recognition", "\"\(profile)\" is not one of \(names) (see docs/voice.md, Recognition profiles)")
            }
            voice.recognition = chosen
        }
        voice.realtime = try parseRealtime(section.mapping("realtime", allowed: realtimeKeys), baseDirectory: baseDirectory)
        if voice.mode == .realtime, voice.realtime == nil {
            throw section.fail("mode", "realtime needs a realtime: section with the key (api_key_env or api_key_file)")
        }
        let stt = try speechChoice(section, "stt"), tts = try speechChoice(section, "tts")
        let cloud = try section.mapping("openai", allowed: cloudSpeechKeys)
        if stt == "openai" || tts == "openai" {
            guard let cloud else {
                throw section.fail(stt == "openai" ? "stt" : "tts", "openai needs an openai: section (base_url, api_key_env or api_key_file, models)")
            }
            let endpoint = try cloudEndpoint(cloud, baseDirectory: baseDirectory)
            if stt == "openai" { voice.transcription = try model(cloud, "stt_model", default: "gpt-4o-transcribe", of: endpoint) }
            if tts == "openai" {
                voice.speech = try model(cloud, "tts_model", default: "gpt-4o-mini-tts", of: endpoint)
                if let name = try cloud.string("tts_voice") { voice.speech?.voice = name }
            }
        }
        return voice
    }

    private static func speechChoice(_ section: ConfigurationMapping, _ key: String) throws(ConfigurationError) -> String {
        let choice = try section.string(key) ?? "offline"
        guard speechChoices.contains(choice) else {
            throw section.fail(key, "\"\(choice)\" is not one of \(speechChoices.joined(separator: ", "))")
        }
        return choice
    }

    private static func parseRealtime(_ section: ConfigurationMapping?, baseDirectory: String?) throws(ConfigurationError) -> RealtimeVoice? {
        guard let section else { return nil }
        guard let key = try apiKey(section, baseDirectory: baseDirectory) else {
            throw section.fail(nil, "the Realtime API needs a key: api_key_env (an environment variable) or api_key_file")
        }
        var realtime = RealtimeVoice(apiKey: key)
        if let url = try section.string("url") {
            guard let host = urlHost(url, schemes: ["ws", "wss"]) else {
                throw section.fail("url", "\"\(url)\" must be a wss:// URL such as wss://api.openai.com/v1/realtime")
            }
            guard url.hasPrefix("wss://") || isLoopback(host) else {
                throw section.fail("url", "the API key would travel unencrypted to \(host): use wss:// (ws:// only for a server on this machine)")
            }
            realtime.url = url
        }
        if let model = try section.string("model") {
            guard !model.isEmpty else { throw section.fail("model", "must name the model, e.g. gpt-realtime") }
            realtime.model = model
        }
        if let name = try section.string("voice") { realtime.voice = name }
        realtime.caFile = try caFile(section, baseDirectory: baseDirectory)
        if let ms = try section.int("connect_timeout_ms", in: 100...60_000) { realtime.connectTimeoutMilliseconds = UInt64(ms) }
        if let ms = try section.int("stall_timeout_ms", in: 500...120_000) { realtime.stallTimeoutMilliseconds = UInt64(ms) }
        return realtime
    }

    /// `voice.openai:` without its models: base URL, key (the `model:` section's rules), CA, timeout.
    private static func cloudEndpoint(_ section: ConfigurationMapping, baseDirectory: String?) throws(ConfigurationError) -> AudioEndpoint {
        let baseURL = try section.string("base_url") ?? "https://api.openai.com/v1"
        guard let host = urlHost(baseURL) else {
            throw section.fail("base_url", "\"\(baseURL)\" must be an http:// or https:// URL such as https://api.openai.com/v1")
        }
        var endpoint = AudioEndpoint(baseURL: baseURL, model: "")
        endpoint.apiKey = try apiKey(section, baseDirectory: baseDirectory)
        if endpoint.apiKey != nil, baseURL.hasPrefix("http://"), !isLoopback(host) {
            throw section.fail("base_url", "the API key would travel unencrypted to \(host): use https:// (or no key for a server on this machine)")
        }
        endpoint.caFile = try caFile(section, baseDirectory: baseDirectory)
        if let ms = try section.int("timeout_ms", in: 100...120_000) { endpoint.timeoutMilliseconds = ms }
        return endpoint
    }

    private static func model(_ section: ConfigurationMapping, _ key: String, default name: String,
                              of endpoint: AudioEndpoint) throws(ConfigurationError) -> AudioEndpoint {
        var endpoint = endpoint
        endpoint.model = try section.string(key) ?? name
        guard !endpoint.model.isEmpty else { throw section.fail(key, "must name the model, e.g. \(name)") }
        return endpoint
    }
}
