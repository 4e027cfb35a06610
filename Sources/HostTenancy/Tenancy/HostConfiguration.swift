import Foundation
import HostAudio
import HostModels
import HostNet
import HostOrchestration
import HostPlugins
import HostSupport
import HostSpeech

/// The operator's configuration file (`agent-host serve --config FILE`; docs/operations.md):
/// the listener and its limits, Redis, where plugins come from, and the tenants.
/// Load it with `HostConfiguration.load(path:)`; every problem is a `ConfigurationError` naming
/// the file, line and column.
public struct HostConfiguration: Sendable {
    /// `server:` — the one listening port and the limits that protect it.
    public struct Server: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Request line + headers larger than this: 431.
        public var maxHeaderBytes = 16 * 1024
        /// Request bodies larger than this: 413.
        public var maxBodyBytes = 1 << 20
        /// WebSocket messages (reassembled frames) larger than this close the socket (1009).
        public var maxWebSocketMessageBytes = 1 << 20
        /// A turn's text (chat or typed) larger than this is refused: 413, or 1009 on a socket.
        public var maxTurnTextBytes = 4096
        /// A keep-alive connection with no request for this long is closed.
        public var idleTimeoutMilliseconds: UInt64 = 30_000
        /// A request's line and headers not complete this long after the connection opened (or
        /// after the request's first byte, on a kept-alive connection): 408 and closed.
        public var headerTimeoutMilliseconds: UInt64 = 10_000
        /// Open connections (HTTP and WebSocket) across all clients; beyond: 503 and closed.
        public var maxConnections = 10_000
        /// Open connections from one client IP address; beyond: 503 and closed.
        public var maxConnectionsPerClient = 256
        /// An HTTP chat session (`POST /v1/chat`) with no turn for this long ends with `timeout`.
        public var sessionIdleTimeoutMilliseconds: UInt64 = 300_000
        /// `server.loops`: event loops serving sessions, each on its own thread and accepting on the
        /// port (SO_REUSEPORT); 1 = the single loop of old (docs/architecture.md, threading model).
        public var loops = 1
        /// Live sessions across all tenants; at the cap new sessions are refused and /ready is 503.
        public var maxSessions = 1000
        /// On SIGTERM, how long live sessions may go on before they are ended with `shutdown`.
        public var drainDeadlineSeconds = 30
        /// `server.lost_call_sweep_seconds`: how often the host looks for calls of dead hosts whose
        /// callers never called back, to record them (docs/scaling.md); 0: never.
        public var lostCallSweepSeconds = 30

        public init() {}

        /// The HTTP listener's configuration.
        public var http: HTTPServer.Configuration {
            var configuration = HTTPServer.Configuration(host: host, port: port, maxHeaderBytes: maxHeaderBytes,
                                                         maxBodyBytes: maxBodyBytes, idleTimeoutMilliseconds: idleTimeoutMilliseconds)
            configuration.headerTimeoutMilliseconds = headerTimeoutMilliseconds
            configuration.maxConnections = maxConnections
            configuration.maxConnectionsPerClient = maxConnectionsPerClient
            configuration.webSocket.maxMessageBytes = maxWebSocketMessageBytes
            return configuration
        }
    }

    /// `redis:` — where session records live.
    public struct Redis: Sendable, Equatable {
        /// `redis://[:password@]host[:port][/db]` or `unix:///path/to/redis.sock`; nil = no Redis:
        /// records stay in memory (`serve`), or `demo` starts a local Redis itself.
        public var url: String?
        public var commandTimeoutMilliseconds: UInt64 = 1_000
        /// Records that could not be written to Redis are appended here and replayed later.
        public var journalPath = "./agent-host-journal.log"
        /// Redis Sentinel instead of `url`: the sentinels (`host:port`) asked for `masterName`'s
        /// master before every connection (docs/operations.md, `redis`). Empty: not used.
        public var sentinels: [String] = []
        public var masterName: String?
        /// With sentinels: the master's database and password (`url` carries them otherwise).
        public var database = 0
        public var password: String?
        /// Replicas that must acknowledge a record before the journal lets it go (`WAIT`);
        /// nil: 1 with sentinels, 0 with `url`.
        public var replicaAcks: Int?

        public init() {}
    }

    /// `plugins:` — where the host looks for plugin shared objects, and what they may use.
    public struct Plugins: Sendable, Equatable {
        /// Directories searched for `lib*.so`; default: `PluginLoader.defaultDirectories()`
        /// (AGENT_HOST_PLUGIN_PATH, else the directory of the running executable).
        public var directories: [String]
        /// Extensions granted to every tenant's plugins unless a tenant lists its own;
        /// nil = every extension the host provides.
        public var extensions: Set<String>?
        /// `isolation:` and `max_memory_mb:` — how components run unless a tenant's entry says.
        public var isolation = PluginIsolation()
        /// `supervision:` cancel grace, restart backoff and crash limit of plugin runners.
        public var supervision = IsolationPolicy()
        /// `cache_directory:` where the host keeps its private copies of plugin files; nil = the
        /// system temp directory's `agent-host-plugins-<uid>`.
        public var cacheDirectory: String?
        /// `allow_insecure_files:` accept plugin files (or directories) writable by group/others or
        /// owned by another user.
        public var allowInsecureFiles = false
        /// `trusted_keys:` Ed25519 public keys (PEM) plugin signatures (`FILE.sig`) must verify with.
        public var trustedKeys: [PluginSignature.PublicKey] = []
        /// `require_signature:` refuse plugin files without a signature by a trusted key.
        public var requireSignature = false

        /// The loader these settings describe.
        public var loader: PluginLoader {
            var cache = PluginFileCache(directory: cacheDirectory, allowInsecureFiles: allowInsecureFiles)
            cache.trustedKeys = trustedKeys
            cache.requireSignature = requireSignature
            return PluginLoader(directories: directories, cache: cache)
        }

        public init(directories: [String], extensions: Set<String>? = nil) {
            self.directories = directories
            self.extensions = extensions
        }
    }

    /// One entry of `tenants:`.
    public struct Tenant: Sendable, Equatable {
        public struct Limits: Sendable, Equatable {
            /// Live sessions of this tenant; at the cap new sessions of this tenant are refused.
            public var maxConcurrentSessions = 1000
            /// Live sessions of one caller (phone number / caller id) within this tenant.
            public var maxSessionsPerCaller = 2
            public var maxHandoffsPerTurn = 3
            public var maxToolCallsPerTurn = 8
            public var stepTimeoutMilliseconds: UInt64 = 15_000

            public init() {}

            public var turnLimits: TurnLimits {
                TurnLimits(maxHandoffsPerTurn: maxHandoffsPerTurn, maxToolCallsPerTurn: maxToolCallsPerTurn,
                           stepTimeoutMilliseconds: stepTimeoutMilliseconds)
            }
        }

        public var id: String
        /// "sha256:<64 lowercase hex>" each; empty = the tenant needs no key.
        public var apiKeyHashes: [String]
        /// Component ids (agents and tools), in file order.
        public var plugins: [String]
        public var entryAgent: String
        /// Component id → settings as a JSON object string (from the YAML mapping, `${VAR}` substituted).
        public var settings: [String: String]
        public var limits: Limits
        public var turnDetection: TurnDetection
        /// The synthesiser engine and voice its calls speak with.
        public var voice = SpeechVoice()
        /// The tenant's own `extensions:` list; nil = the `plugins.extensions` default.
        public var extensions: Set<String>?
        /// Where each plugin id is written in the file, for errors the host finds later
        /// (see `HostConfiguration.error(tenant:plugin:_:)`).
        public var pluginLocations: [String: SourceLocation]
        /// Where the tenant's entry starts in the file.
        public var location: SourceLocation?
        /// `model:` — the tenant's OpenAI-compatible model (docs/models.md); nil = offline brain.
        public var model: ChatCompletionsEndpoint?
        /// Every component's isolation (the `plugins:` default, or the entry's own mapping).
        public var isolation: [String: PluginIsolation] = [:]
        /// `sha256:` pins of its plugin entries, by component id.
        public var pins: [String: PluginPin] = [:]
        /// `messages:` — what the orchestration says to callers (defaults: CallerMessages()).
        public var messages = CallerMessages()
        /// `transfer:`, `twilio:`, `recording:`, `redact:` (docs/telephony.md).
        public var telephony = TenantTelephony()
        /// `telemetry: {include_content}` (docs/operations.md, "Telemetry").
        public var telemetry = TenantTelemetry()

        public init(id: String, apiKeyHashes: [String] = [], plugins: [String], entryAgent: String,
                    settings: [String: String] = [:], limits: Limits = Limits(), turnDetection: TurnDetection = TurnDetection(),
                    extensions: Set<String>? = nil, pluginLocations: [String: SourceLocation] = [:], location: SourceLocation? = nil) {
            self.id = id
            self.apiKeyHashes = apiKeyHashes
            self.plugins = plugins
            self.entryAgent = entryAgent
            self.settings = settings
            self.limits = limits
            self.turnDetection = turnDetection
            self.extensions = extensions
            self.pluginLocations = pluginLocations
            self.location = location
        }

        public var policy: TenantPolicy {
            TenantPolicy(id: id, apiKeyHashes: apiKeyHashes, maxConcurrentSessions: limits.maxConcurrentSessions,
                         maxSessionsPerCaller: limits.maxSessionsPerCaller, turnDetection: turnDetection)
        }
    }

    /// `admin:` — the admin listener (reload, plugins, tenants); nil = none (the default).
    public struct Admin: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 9090
        /// "sha256:<64 lowercase hex>" each; at least one.
        public var apiKeyHashes: [String] = []

        public init() {}
    }

    /// The file this was loaded from, as given (used in error messages).
    public var file: String
    public var admin: Admin?
    /// `sip:` — the SIP trunk endpoint (docs/telephony.md); nil: the host answers no SIP.
    public var sip: SIPTrunkConfiguration?
    /// `console: {enabled}` — serve /console and /console/playground (docs/console.md); default on.
    public var consoleEnabled = true
    /// `console.api_keys` — operator keys for the console only, beside `admin.api_keys`.
    public var consoleKeyHashes: [String] = []
    /// `telemetry:` — where traces go (docs/operations.md, "Telemetry"); nil = tracing off.
    public var telemetry: TelemetrySettings?
    public var server: Server
    public var redis: Redis
    public var plugins: Plugins
    /// The tenant of requests that name none.
    public var defaultTenant: String
    /// In file order; ids are unique.
    public var tenants: [Tenant]

    public init(file: String = "<configuration>", server: Server = Server(), redis: Redis = Redis(),
                plugins: Plugins, defaultTenant: String, tenants: [Tenant]) {
        self.file = file
        self.server = server
        self.redis = redis
        self.plugins = plugins
        self.defaultTenant = defaultTenant
        self.tenants = tenants
    }

    public func tenant(_ id: String) -> Tenant? { tenants.first { $0.id == id } }

    /// The orchestration's view of one tenant: its extensions are its own list, else the default.
    public func tenantConfiguration(_ tenant: Tenant) -> TenantConfiguration {
        var configuration = TenantConfiguration(id: tenant.id, plugins: tenant.plugins, entryAgent: tenant.entryAgent, settings: tenant.settings,
                                                grantedExtensions: tenant.extensions ?? plugins.extensions, limits: tenant.limits.turnLimits)
        configuration.model = tenant.model
        configuration.telephony = tenant.telephony
        configuration.telemetry = tenant.telemetry
        configuration.defaultIsolation = plugins.isolation
        configuration.isolation = tenant.isolation
        configuration.versions = tenant.pins.compactMapValues(\.version)
        configuration.messages = tenant.messages
        return configuration
    }

    /// Checks every tenant's plugins against what was loaded: each component is provided, and by a
    /// file with the pinned sha256. The first problem, at its line.
    public func check(against catalog: PluginCatalog) throws(ConfigurationError) {
        for tenant in tenants {
            for plugin in tenant.plugins {
                let version = tenant.pins[plugin]?.version
                guard let provider = catalog.plugin(providing: plugin, version: version) else {
                    if let version, catalog.plugin(providing: plugin) != nil {
                        throw error(tenant: tenant.id, plugin: plugin, at: tenant.pins[plugin]?.versionLocation,
                                    "version \(version) is unavailable: loaded versions are \(catalog.versions(of: plugin).joined(separator: ", ")); deploy that build, or change the pin")
                    }
                    throw error(tenant: tenant.id, plugin: plugin,
                                "is unavailable: no loaded plugin provides it (plugin directories: \(plugins.directories.joined(separator: ", ")))")
                }
                if let pin = tenant.pins[plugin], let sha = pin.sha256, sha != provider.sha256 {
                    throw error(tenant: tenant.id, plugin: plugin, at: pin.location,
                                "is pinned to sha256 \(sha), but \(provider.sourcePath) has sha256 \(provider.sha256): deploy the pinned build, or update the pin")
                }
            }
        }
    }

    /// Every tenant as the orchestration takes it, in file order.
    public var tenantConfigurations: [TenantConfiguration] { tenants.map(tenantConfiguration) }

    /// Every tenant's policy for the server (keys, session caps, turn detection), in file order.
    public var tenantPolicies: [TenantPolicy] { tenants.map(\.policy) }

    /// An error at the place a tenant lists a plugin, for problems found after loading (the host
    /// checks plugin ids against what it loaded):
    /// `config.yaml:21:9: tenant "acme": plugin "com.x.y" is unavailable: no such component`.
    public func error(tenant id: String, plugin componentID: String, at written: SourceLocation? = nil, _ problem: String) -> ConfigurationError {
        let entry = self.tenant(id)
        let location = written ?? entry?.pluginLocations[componentID] ?? entry?.location
        return ConfigurationError(file: file, at: location, "tenant \"\(id)\": plugin \"\(componentID)\" \(problem)")
    }
}

/// Server-side VAD settings of a tenant's voice sessions (docs/protocol.md §2: threshold 0.5, prefix
/// padding 300 ms, silence 800 ms).
public struct TurnDetection: Sendable, Equatable {
    /// Speech probability (0...1) above which a frame counts as speech.
    public var threshold: Double
    /// Audio kept from before speech was detected, so the first syllable is not cut.
    public var prefixPaddingMilliseconds: Int
    /// Silence after speech that ends the caller's turn.
    public var silenceMilliseconds: Int
    /// `mode: semantic` (docs/voice.md): end of turn from meaning between these silences;
    /// nil = `server_vad` (the fixed silence window), the default.
    public var semantic: SemanticTurnSettings?
    /// `backchannels:` phrases added to the defaults (semantic mode: they do not stop the agent).
    public var backchannels: [String] = []

    public init(threshold: Double = 0.5, prefixPaddingMilliseconds: Int = 300, silenceMilliseconds: Int = 800) {
        self.threshold = threshold
        self.prefixPaddingMilliseconds = prefixPaddingMilliseconds
        self.silenceMilliseconds = silenceMilliseconds
    }
}

/// How a tenant's calls hear and speak: the offline synthesiser `flite` (default, natural) or
/// `espeak-ng` (many languages and accents; `name` e.g. "en-gb"), or cloud speech, or Realtime
/// speech-to-speech (docs/models.md).
public struct SpeechVoice: Sendable, Equatable {
    public static let engines = ["flite", "espeak-ng"]
    public var engine = "flite"
    public var name: String?
    /// `mode:` cascaded (recognise, orchestrate, synthesise) or realtime (`realtime` is set then).
    public var mode = VoiceMode.cascaded
    public var realtime: RealtimeVoice?
    /// `stt: openai` / `tts: openai`: the cloud endpoints; nil = the offline engines.
    public var transcription: AudioEndpoint?
    public var speech: AudioEndpoint?
    /// `recognition:` how hard the offline recogniser works per second of speech (`RecognitionProfile`).
    public var recognition = RecognitionProfile.standard

    public init(engine: String = "flite", name: String? = nil) {
        self.engine = engine
        self.name = name
    }
}

/// What the server enforces for a tenant before any plugin runs: who may connect, how many
/// sessions, and how voice turns are detected.
public struct TenantPolicy: Sendable, Equatable {
    public var id: String
    /// Stored key hashes; empty = no key needed.
    public var apiKeyHashes: [String]
    public var maxConcurrentSessions: Int
    public var maxSessionsPerCaller: Int
    public var turnDetection: TurnDetection

    public init(id: String, apiKeyHashes: [String] = [], maxConcurrentSessions: Int = 1000, maxSessionsPerCaller: Int = 2,
                turnDetection: TurnDetection = TurnDetection()) {
        self.id = id
        self.apiKeyHashes = apiKeyHashes
        self.maxConcurrentSessions = maxConcurrentSessions
        self.maxSessionsPerCaller = maxSessionsPerCaller
        self.turnDetection = turnDetection
    }

    public var requiresKey: Bool { !apiKeyHashes.isEmpty }

    /// Whether a request presenting `key` (nil: none) may use this tenant.
    public func accepts(key: String?) -> Bool {
        guard requiresKey else { return true }
        guard let key else { return false }
        return APIKeys.verify(key, against: apiKeyHashes)
    }
}
