/// The host's layers and the only arrows allowed between them: the one place they are written
/// down (docs/architecture.md draws the same diagram). A module may import the host modules in
/// its set and no other; the sets only ever point down, so the layers cannot form a cycle.
enum Layers {
    /// Bottom to top. A new `Sources/Host*` module must be added here (LayerTests says so).
    static let allowed: [String: Set<String>] = [
        // Below the host layers: the libraries the host is built from know nothing of it.
        "HostNet": [],
        "HostAudio": [],
        "HostSpeech": [],
        "HostModels": [],
        // The host, bottom to top.
        "HostSupport": [],
        "HostPlugins": ["HostSupport"],
        "HostSessions": ["HostSupport"],
        "HostOrchestration": ["HostSupport", "HostPlugins"],
        "HostTenancy": ["HostSupport", "HostPlugins", "HostOrchestration"],
        "HostVoice": ["HostSupport", "HostPlugins", "HostOrchestration", "HostTenancy"],
        "HostServer": ["HostSupport", "HostPlugins", "HostSessions", "HostOrchestration", "HostTenancy", "HostVoice"],
        "Host": ["HostSupport", "HostPlugins", "HostSessions", "HostOrchestration", "HostTenancy", "HostVoice", "HostServer"],
        "HostClient": ["HostSupport", "HostPlugins", "HostSessions", "HostOrchestration", "HostTenancy", "HostVoice", "HostServer", "Host"],
    ]

    /// The layered host modules (the ones the arrows are about).
    static let hostModules: Set<String> = [
        "HostSupport", "HostPlugins", "HostSessions", "HostOrchestration", "HostTenancy", "HostVoice", "HostServer", "Host", "HostClient",
    ]
}
