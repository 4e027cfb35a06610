/// What `agent-host --help` and `agent-host COMMAND --help` print (to stdout, exit 0): the
/// overview, and each command's own usage with every option it takes.
enum Usage {
    static let overview = """
    usage: agent-host <command> [options]        (agent-host <command> --help: that command's options)

    commands:
      plugins list [--plugin-dir DIR]... [--json]   what the host would load, and why anything was refused
      plugins inspect PATH                          one plugin file in detail, or why it is refused
      plugins sign --key KEY.pem FILE               write FILE.sig: a detached Ed25519 signature (plugins.trusted_keys)
      plugins verify --key PUBLIC.pem FILE          whether FILE.sig verifies with that public key (exit 0 / 1)
      chat --local [--json] [--caller N] [--tenant T] [--backend URL] [--api-key K]
                                                    a conversation with the reference plugins in-process;
                                                    starts the reference backend itself unless --backend
      serve --config FILE [--port N]                the host with an operator's configuration (docs/operations.md)
      demo [--port N]                               the whole system on embedded defaults: its own redis-server
                                                    (unless $REDIS_URL), the reference backend and plugins
      chat [--url URL] [--json] [--caller N] [--tenant T] [--api-key K]
                                                    a conversation with a running host (POST /v1/chat)
      call (--wav FILE | --say TEXT) [--url URL] [--out reply.wav] [--json] [--caller N] [--tenant T] [--token KEY]
                                                    a voice call with a running host (WS /ws/voice): streams the
                                                    caller's audio in real time, prints events, saves the agent's audio
      reload --url ADMIN_URL --admin-key KEY        make a running host re-read its configuration (its admin
                                                    listener: POST /admin/v1/reload); prints what changed
      fleet status --redis URL [--json]             the hosts sharing that Redis (their heartbeats): address,
                                                    version, sessions/capacity, serving or draining
      hash-key KEY                                  the hash to put in a tenant's api_keys or admin.api_keys
      eval routing FILE                             routing accuracy on a labelled TSV (label<TAB>utterance)
      eval scenarios FILE.yaml... [--url URL | --local] [--voice] [--junit out.xml]
                                                    scripted conversations, each turn's expectations checked (docs/evals.md)
      version                                       host version, plugin ABI and toolchain

    Plugins are looked for in every --plugin-dir, else in $AGENT_HOST_PLUGIN_PATH (colon-separated),
    else next to the agent-host executable (where `swift build` puts the reference plugins).
    Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
    """

    static let plugins = """
    usage: agent-host plugins list [--plugin-dir DIR]... [--json]
           agent-host plugins inspect PATH
           agent-host plugins sign --key KEY.pem FILE
           agent-host plugins verify --key PUBLIC.pem FILE

    list      every plugin the host would load from the plugin directories, and why any is refused
    inspect   one plugin file in detail (descriptor, components, ABI, toolchain), or why it is refused;
              exits 1 when it would be refused

    options:
      --plugin-dir DIR   look in DIR (repeatable); default: $AGENT_HOST_PLUGIN_PATH (colon-separated),
                         else the directory of the agent-host executable
      --json             list as JSON instead of a table
    """

    static let pluginsList = """
    usage: agent-host plugins list [--plugin-dir DIR]... [--json]

    Every plugin the host would load, with its components, and the reason for each one refused.

    options:
      --plugin-dir DIR   look in DIR (repeatable); default: $AGENT_HOST_PLUGIN_PATH (colon-separated),
                         else the directory of the agent-host executable
      --json             one JSON document instead of a table
    """

    static let pluginsInspect = """
    usage: agent-host plugins inspect PATH

    One plugin file in detail: descriptor, components, ABI version, toolchain, extensions; or why the
    host would refuse it (then exit 1).
    """

    static let chat = """
    usage: agent-host chat [--url URL] [--json] [--caller N] [--tenant T] [--api-key K]
           agent-host chat --local [--json] [--caller N] [--tenant T] [--backend URL] [--api-key K] [--plugin-dir DIR]

    A conversation: one line of stdin is one thing the caller says (works piped). When stdin ends,
    or on Ctrl-C, the session is ended on the host (it is recorded and the caller's slot freed).

    options:
      --url URL          the running host to talk to (POST /v1/chat); default http://127.0.0.1:8080
      --local            no server: the reference plugins in this process, with the reference backend
                         started for the conversation unless --backend is given
      --json             print the conversation's events, one JSON object per line (docs/protocol.md)
      --caller N         the caller's number (default +15550001234)
      --tenant T         the tenant to talk to (default: the host's default tenant)
      --api-key K        the tenant's API key (sent as Authorization: Bearer K); with --local, the
                         backend's key
      --backend URL      with --local: the company backend the tools call
      --plugin-dir DIR   with --local: where the plugins are
    """

    static let call = """
    usage: agent-host call (--wav FILE | --say TEXT) [--url URL] [--out reply.wav] [--json]
                           [--caller N] [--tenant T] [--token KEY]

    A voice call with a running host over WS /ws/voice/{caller}: the caller's audio is streamed in
    real time, the events are printed as they arrive with each turn's latency (end of the caller's
    speech to the agent's first audio), and the agent's speech is saved, up to its last words.

    options:
      --wav FILE         the caller's audio: a WAV file, PCM16 (any rate, stereo ok) or mu-law
      --say TEXT         the caller's words, synthesised with flite instead of a file
      --url URL          the host (default http://127.0.0.1:8080)
      --out FILE         save the agent's audio to this WAV file
      --json             print the events one JSON object per line
      --caller N         the caller's number (default +15550001234)
      --tenant T         the tenant to call (default: the host's default tenant)
      --token KEY        the tenant's API key (also --api-key)
    """

    static let serve = """
    usage: agent-host serve --config FILE [--port N]

    The host with an operator's configuration (docs/operations.md): plugins, tenants, Redis, limits.
    Prints the address it listens on; SIGTERM or SIGINT drains live sessions and exits.

    options:
      --config FILE      the YAML configuration (required)
      --port N           listen on port N instead of the configuration's server.port (0: any free port)
    """

    static let demo = """
    usage: agent-host demo [--port N]

    The whole system on embedded defaults: a redis-server of its own on a free loopback port (unless
    $REDIS_URL is set), the reference backend, the reference plugins, and a demo tenant; prints the
    URL and how to talk to it. Ctrl-C stops it and what it started.

    options:
      --port N           listen on port N (default 8080; 0: any free port)
    """

    static let eval = """
    usage: agent-host eval routing FILE

    Routing accuracy of the reference plugins on labelled utterances: FILE is a TSV with a header
    line and label<TAB>utterance rows. Labels: billing, refund, faq (the first turn must hand off
    there), human (it must escalate), triage (a clarifying question, no handoff). Each row is a fresh
    session's first turn, in-process; prints the accuracy per label and every miss.
    """

    static let hashKey = """
    usage: agent-host hash-key KEY

    Prints the sha256 hash of KEY, the form a tenant's api_keys list holds (docs/operations.md).
    A KEY that starts with "-" goes after "--": agent-host hash-key -- -KEY
    """

    static let version = """
    usage: agent-host version

    The host's version, the plugin ABI it implements, and the Swift toolchain it was built with
    (Swift plugins must be built with the same one).
    """

    static let pluginsSign = """
    usage: agent-host plugins sign --key KEY.pem FILE

    Writes FILE.sig, a detached Ed25519 signature of FILE made with the private key in KEY.pem
    (openssl genpkey -algorithm ed25519 -out KEY.pem). Hosts whose plugins.trusted_keys hold the
    public key accept the file; with plugins.require_signature: true they refuse unsigned ones.
    """

    static let pluginsVerify = """
    usage: agent-host plugins verify --key PUBLIC.pem FILE

    Checks FILE.sig against FILE with the public key in PUBLIC.pem. Exit 0 when it verifies, 1 when not.
    """

    static let reload = """
    usage: agent-host reload --url ADMIN_URL --admin-key KEY

    Asks a running host (its admin listener, admin: in the configuration) to re-read its
    configuration and plugin files, as SIGHUP does; prints what changed. Live sessions finish with
    the configuration they started with. Exit 0 applied, 2 refused (the running configuration
    stays), 1 unreachable or unauthorised. docs/operations.md, "Deploying and upgrading plugins".
    """

    static let fleet = """
    usage: agent-host fleet status --redis URL [--json]

    The hosts that share that Redis, from the heartbeat each publishes every 2 s (a record that
    lives 6 s): host id, address, version, loops, active sessions / capacity, serving or draining,
    tenants, last update. A host that died drops out within 6 s; one that exits deletes its record.
    --json prints one JSON record a line (docs/protocol.md §5). docs/scaling.md.
    Exit 0, 1 when Redis cannot be read, 2 bad usage.
    """

    /// The usage of `command` (and its subcommand, for `plugins`), nil for an unknown command.
    static func of(_ command: String, subcommand: String? = nil) -> String? {
        switch (command, subcommand) {
        case ("plugins", "list"): pluginsList
        case ("plugins", "inspect"): pluginsInspect
        case ("plugins", "sign"): pluginsSign
        case ("plugins", "verify"): pluginsVerify
        case ("reload", _): reload
        case ("fleet", _): fleet
        case ("plugins", _): plugins
        case ("chat", _): chat
        case ("call", _): call
        case ("serve", _): serve
        case ("demo", _): demo
        case ("eval", "scenarios"): evalScenarios
        case ("eval", _): eval
        case ("hash-key", _): hashKey
        case ("version", _), ("--version", _): version
        case ("help", _), ("--help", _), ("-h", _): overview
        default: nil
        }
    }
}
