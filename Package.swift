// swift-tools-version:6.1
//
// agent-host: the runtime voice and chat customer-support agents run on.
// Layout (docs/architecture.md has the map):
//   Sources/PluginABI    the stable C ABI (headers); built through the SDK package (SDK/Sources/PluginABI links here)
//   Sources/C*           one system-library module per C library
//   Sources/HostNet      libuv event loop, HTTP server, HTTP client
//   Sources/Host*        the host, one module per layer (HostSupport … HostServer, Host = app wiring, HostClient)
//   Sources/agent-host   the one executable: argument parsing and wiring only
//   Plugins/             the reference plugins, each its own .so
//   SDK/                 the package plugin authors depend on
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// Every plugin we ship exports only `agent_host_plugin_entry` (checked by PluginABITests).
let pluginLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Plugins/plugin-exports.map"])
]

let package = Package(
    name: "agent-host",
    products: [
        .executable(name: "agent-host", targets: ["agent-host"]),
        .executable(name: "agent-host-bench", targets: ["agent-host-bench"]),
        .executable(name: "support-backend", targets: ["support-backend"]),
        .executable(name: "agent-host-fuzz", targets: ["agent-host-fuzz"]),
        // Plugins: each product is one shared object, lib<Name>.so, loaded by the host at run time.
        .library(name: "StoreHours", type: .dynamic, targets: ["StoreHours"]),
        .library(name: "SwiftSamples", type: .dynamic, targets: ["SwiftSamples"]),
        // A test fixture (a Swift plugin that traps), built as a product so tests can run it isolated.
        .library(name: "SwiftFaults", type: .dynamic, targets: ["SwiftFaults"]),
        .library(name: "Triage", type: .dynamic, targets: ["Triage"]),
        .library(name: "Billing", type: .dynamic, targets: ["Billing"]),
        .library(name: "Refund", type: .dynamic, targets: ["Refund"]),
        .library(name: "FAQ", type: .dynamic, targets: ["FAQ"]),
        .library(name: "CommerceTools", type: .dynamic, targets: ["CommerceTools"]),
        .library(name: "CannedTools", type: .dynamic, targets: ["CannedTools"]),
    ],
    dependencies: [
        .package(path: "SDK"),
        // The tenant configuration file is YAML (docs/operations.md).
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        // Traces (docs/operations.md, "Telemetry"): the API the host's code speaks (Tracer, ServiceContext) ...
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // ... and the SDK behind it: spans batched and exported over OTLP/HTTP (protobuf). Only the OTLPHTTP
        // trait: the default also builds the gRPC exporter (grpc-swift, HTTP/2), which the host never uses.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        // Already in the graph through swift-otel: named because Host/Tracing runs the exporter's
        // service group and routes its diagnostics to the host's Logger.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // ---- C libraries ----
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CHTTPParser", providers: [.apt(["libhttp-parser-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CSpeexDSP", providers: [.apt(["libspeexdsp-dev"])]),
        // pocketsphinx's headers live under /usr/include/{pocketsphinx,sphinxbase}: pkg-config says where.
        .systemLibrary(name: "CPocketSphinx", pkgConfig: "pocketsphinx", providers: [.apt(["libpocketsphinx-dev", "pocketsphinx-en-us"])]),
        .systemLibrary(name: "CFlite", providers: [.apt(["flite1-dev"])]),
        .systemLibrary(name: "CEspeakNG", providers: [.apt(["libespeak-ng-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // No pkgConfig: hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses (and x86_64 does not need).
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // The SIP stack (Sofia-SIP's nua): only CSIPGlue includes it (docs/telephony.md, "SIP trunk").
        .systemLibrary(name: "CSofiaSIP", pkgConfig: "sofia-sip-ua", providers: [.apt(["libsofia-sip-ua-dev"])]),

        // ---- networking: libuv loop, HTTP server and client ----
        // Typed C shims for what Swift cannot call directly (variadic curl and libuv functions, macros, accept4).
        .target(name: "CHostShims", dependencies: ["CCurl", "CLibUV"]),
        // Sofia-SIP's user agent on its own thread behind a Sofia-free header (tag lists are variadic macros).
        .target(name: "CSIPGlue", dependencies: ["CSofiaSIP"]),
        // JSON (value, parser, writer) is the SDK package's AgentHostJSON, re-exported: one JSON story.
        .target(name: "HostNet", dependencies: ["CLibUV", "CHTTPParser", "CCurl", "CHostShims", "COpenSSL", "CSIPGlue",
                                                .product(name: "AgentHostJSON", package: "SDK")], swiftSettings: swift6),

        // ---- voice: audio DSP (resampling, mu-law, framing, VAD) and speech engines ----
        .target(name: "HostAudio", dependencies: ["CSpeexDSP"], swiftSettings: swift6),
        .target(name: "HostSpeech", dependencies: ["HostAudio", "CPocketSphinx", "CFlite", "CEspeakNG"], swiftSettings: swift6),

        // ---- cloud brains and voices: OpenAI-compatible wire formats (Chat Completions SSE, Realtime, audio) ----
        .target(name: "HostModels", dependencies: ["HostNet", "HostAudio", "HostSpeech", "COpenSSL", .product(name: "AgentHostJSON", package: "SDK")],
                swiftSettings: swift6),
        // A local stand-in that speaks those wire formats (tests and benchmarks only: no network here).
        .target(name: "ModelStandIn", dependencies: ["HostSupport", "HostNet", "COpenSSL", "CLibUV"], swiftSettings: swift6),

        // ---- the reference company backend the seed's tools call ----
        .target(name: "ReferenceBackend", dependencies: ["HostNet", "CSQLite"], swiftSettings: swift6),
        .executableTarget(name: "support-backend", dependencies: ["ReferenceBackend"], swiftSettings: swift6),

        // ---- the host: one module per layer (docs/architecture.md has the diagram; ArchitectureTests enforces it) ----
        // Bottom: the one Logger, the one MetricsRegistry, JSON text helpers, the host's identity.
        .target(name: "HostSupport", dependencies: [
            .product(name: "PluginABI", package: "SDK"), .product(name: "AgentHostToolchain", package: "SDK"), "HostNet",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ], swiftSettings: swift6),
        // Plugin loading, the host table, instances, extensions, isolated runners.
        .target(name: "HostPlugins", dependencies: [
            "HostSupport", .product(name: "PluginABI", package: "SDK"), "HostNet", "CLibUV", "COpenSSL",
        ], swiftSettings: swift6),
        // Session records, the journal and the Redis store.
        .target(name: "HostSessions", dependencies: ["HostSupport", "HostNet", "CLibUV", "CHiredis"], swiftSettings: swift6),
        // Conversations, turns and steps; brains (plugin agents, cloud models) behind one step driver.
        .target(name: "HostOrchestration", dependencies: [
            "HostSupport", "HostPlugins", "HostNet", "HostModels", .product(name: "PluginABI", package: "SDK"),
            .product(name: "AgentHostJSON", package: "SDK"),
        ], swiftSettings: swift6),
        // The tenant configuration file and the tenant as served.
        .target(name: "HostTenancy", dependencies: [
            "HostSupport", "HostPlugins", "HostOrchestration", "HostNet", "HostAudio", "HostSpeech", "HostModels", "COpenSSL",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: swift6),
        // Voice calls (cascaded and Realtime) over a CallSession, whatever serves them.
        .target(name: "HostVoice", dependencies: [
            "HostSupport", "HostPlugins", "HostOrchestration", "HostTenancy", "HostNet", "HostAudio", "HostSpeech", "HostModels",
            .product(name: "PluginABI", package: "SDK"),
        ], swiftSettings: swift6),
        // ---- the console's pages (HTML/CSS/JS compiled into the binary; docs/console.md) ----
        .target(name: "ConsoleAssets", resources: [.embedInCode("Assets")], swiftSettings: swift6),
        // Routes, sockets, tenants, limits, drain; the console.
        .target(name: "HostServer", dependencies: [
            "HostSupport", "HostPlugins", "HostSessions", "HostOrchestration", "HostTenancy", "HostVoice",
            "HostNet", "HostAudio", "HostSpeech", "HostModels", "ConsoleAssets", "COpenSSL",
        ], swiftSettings: swift6),
        // The app wiring: serve, the demo, deployments, the reloader and its admin API.
        .target(name: "Host", dependencies: [
            "HostSupport", "HostPlugins", "HostSessions", "HostOrchestration", "HostTenancy", "HostVoice", "HostServer",
            "HostNet", "HostModels", "CLibUV", .product(name: "PluginABI", package: "SDK"),
            .product(name: "OTel", package: "swift-otel"), .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ], swiftSettings: swift6),
        // What the command line runs as a client: chat, call, reload, routing evaluation.
        .target(name: "HostClient", dependencies: [
            "Host", "HostSupport", "HostPlugins", "HostOrchestration", "HostNet", "HostAudio", "HostSpeech",
        ], swiftSettings: swift6),
        .executableTarget(name: "agent-host", dependencies: ["Host", "HostClient"], swiftSettings: swift6),
        .executableTarget(
            name: "agent-host-bench",
            dependencies: ["HostSupport", "HostPlugins", "HostSessions", "HostOrchestration", "HostTenancy", "HostVoice", "HostServer", "Host", "HostClient", "HostModels", "ModelStandIn", "HostAudio", "HostSpeech", .product(name: "PluginABI", package: "SDK"),
                           .product(name: "AgentHostJSON", package: "SDK")],
            swiftSettings: swift6
        ),

        // ---- plugins ----
        .target(name: "StoreHours", dependencies: [.product(name: "PluginABI", package: "SDK")],
                path: "Plugins/StoreHours", linkerSettings: pluginLinkerSettings),
        // Offline understanding shared by the department plugins: each .so links its own copy
        // (no Swift type crosses a plugin boundary). Internal to the reference plugins: not an SDK
        // product and no API promise (docs/writing-plugins.md, "SupportKit").
        .target(name: "SupportKit", dependencies: [.product(name: "AgentHostSDK", package: "SDK")],
                path: "Plugins/SupportKit", swiftSettings: swift6),
        .target(name: "Triage", dependencies: ["SupportKit", .product(name: "AgentHostSDK", package: "SDK")],
                path: "Plugins/Triage", swiftSettings: swift6, linkerSettings: pluginLinkerSettings),
        .target(name: "Billing", dependencies: ["SupportKit", .product(name: "AgentHostSDK", package: "SDK")],
                path: "Plugins/Billing", swiftSettings: swift6, linkerSettings: pluginLinkerSettings),
        .target(name: "Refund", dependencies: ["SupportKit", .product(name: "AgentHostSDK", package: "SDK")],
                path: "Plugins/Refund", swiftSettings: swift6, linkerSettings: pluginLinkerSettings),
        .target(name: "FAQ", dependencies: ["SupportKit", .product(name: "AgentHostSDK", package: "SDK")],
                path: "Plugins/FAQ", swiftSettings: swift6, linkerSettings: pluginLinkerSettings),
        .target(name: "CommerceTools", dependencies: [.product(name: "AgentHostSDK", package: "SDK")],
                path: "Plugins/CommerceTools", swiftSettings: swift6, linkerSettings: pluginLinkerSettings),
        .target(name: "CannedTools", dependencies: [.product(name: "AgentHostSDK", package: "SDK")],
                path: "Plugins/CannedTools", swiftSettings: swift6, linkerSettings: pluginLinkerSettings),
        .target(name: "SwiftSamples", dependencies: [.product(name: "AgentHostSDK", package: "SDK")],
                path: "Plugins/SwiftSamples", swiftSettings: swift6, linkerSettings: pluginLinkerSettings),
        .target(name: "SwiftFaults", dependencies: [.product(name: "AgentHostSDK", package: "SDK")],
                path: "Tests/Fixtures/SwiftFaults", swiftSettings: swift6, linkerSettings: pluginLinkerSettings),

        // ---- fuzzing (docs/testing.md): harnesses for the code that reads untrusted bytes ----
        .target(name: "FuzzKit", swiftSettings: swift6),
        .target(name: "FuzzTargets", dependencies: ["FuzzKit", "HostNet", "HostModels", "HostTenancy", "HostVoice", .product(name: "AgentHostSDK", package: "SDK")],
                swiftSettings: swift6),
        .executableTarget(name: "agent-host-fuzz", dependencies: ["FuzzKit", "FuzzTargets"], swiftSettings: swift6),

        // ---- tests ----
        .target(name: "TestSupport", dependencies: ["HostSupport", "HostAudio"], path: "Tests/TestSupport", swiftSettings: swift6),
        // Test helpers that need the host (an in-process caller); kept apart so pure tests stay light.
        .target(name: "HostTestSupport", dependencies: ["HostSupport", "HostPlugins", "HostOrchestration", "Host", "HostNet", "TestSupport"], path: "Tests/HostTestSupport", swiftSettings: swift6),
        .testTarget(
            name: "PluginABITests",
            dependencies: ["HostPlugins", "TestSupport", .product(name: "PluginABI", package: "SDK")],
            exclude: ["Fixtures"],
            swiftSettings: swift6
        ),
        // The layer diagram (docs/architecture.md) as a test: no module imports one above it.
        .testTarget(name: "ArchitectureTests", swiftSettings: swift6),
        .testTarget(name: "HostNetTests", dependencies: ["HostNet", "TestSupport"], swiftSettings: swift6),
        // The SDK's own code (its package has no test target of its own: CI runs this package's).
        .testTarget(name: "FuzzTests", dependencies: ["FuzzKit", "FuzzTargets"], swiftSettings: swift6),
        .testTarget(name: "SDKTests", dependencies: [.product(name: "AgentHostSDK", package: "SDK")], swiftSettings: swift6),
        // The API fuzz test runs the support-backend executable through Host's ReferenceBackendProcess.
        .testTarget(name: "ReferenceBackendTests", dependencies: ["ReferenceBackend", "HostNet", "Host", "FuzzKit"], swiftSettings: swift6),
        .testTarget(name: "HostAudioTests", dependencies: ["HostAudio", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "HostSpeechTests", dependencies: ["HostSpeech", "HostAudio", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "SessionTests", dependencies: ["HostSupport", "HostSessions", "HostNet", "TestSupport", "HostTestSupport"], swiftSettings: swift6),
        .testTarget(name: "TenancyTests", dependencies: ["HostPlugins", "HostOrchestration", "HostTenancy", "Host", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "ModelTests", dependencies: ["HostSupport", "HostSessions", "HostOrchestration", "HostTenancy", "Host", "HostModels", "ModelStandIn", "HostNet", "TestSupport", "HostTestSupport"], swiftSettings: swift6),
        .testTarget(name: "RealtimeTests", dependencies: ["HostModels", "ModelStandIn", "HostNet", "HostAudio", "TestSupport", "HostPlugins", "HostOrchestration", "HostVoice", "Host"], swiftSettings: swift6),
        .testTarget(name: "ServerTests", dependencies: ["HostSupport", "HostPlugins", "HostOrchestration", "HostTenancy", "HostVoice", "HostServer", "Host", "HostNet", "HostAudio", "HostSpeech", "HostModels", "ModelStandIn", "TestSupport", "HostTestSupport"], swiftSettings: swift6),
        .testTarget(name: "ConversationTests", dependencies: ["HostPlugins", "HostOrchestration", "HostVoice", "Host", "TestSupport", "HostTestSupport"], exclude: ["Fixtures"], swiftSettings: swift6),
        .testTarget(name: "IsolationTests", dependencies: ["HostSupport", "HostPlugins", "HostOrchestration", "HostTenancy", "HostServer", "Host", "HostNet", "TestSupport", "HostTestSupport"], exclude: ["Fixtures"], swiftSettings: swift6),
        // The built agent-host executable run as a person would (usage, exit codes).
        .testTarget(name: "CommandLineTests", dependencies: ["TestSupport"], swiftSettings: swift6),
        .testTarget(name: "SupportKitTests", dependencies: ["SupportKit", "TestSupport", .product(name: "AgentHostSDK", package: "SDK")], swiftSettings: swift6),
        .testTarget(name: "DepartmentTests", dependencies: ["SupportKit", "TestSupport", .product(name: "AgentHostPluginTesting", package: "SDK")], swiftSettings: swift6),
        .testTarget(name: "CommerceToolsTests", dependencies: ["HostSupport", "HostPlugins", "Host", "HostNet", "ReferenceBackend", "TestSupport", .product(name: "AgentHostPluginTesting", package: "SDK")], swiftSettings: swift6),
        .testTarget(
            name: "HostTests",
            dependencies: ["HostSupport", "HostPlugins", "HostOrchestration", "HostTenancy", "HostServer", "Host", "HostNet", "TestSupport", "HostTestSupport", .product(name: "AgentHostPluginTesting", package: "SDK")],
            exclude: ["Fixtures"],
            swiftSettings: swift6
        ),
    ]
)
