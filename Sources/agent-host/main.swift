// agent-host: argument parsing and wiring only. Exit codes (CONTRACT §3): 0 success,
// 1 runtime failure, 2 bad usage or configuration (with a one-line reason).
import Foundation
import Host

let usage = """
usage: agent-host <command> [options]

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
  hash-key KEY                                  the hash to put in a tenant's api_keys or admin.api_keys
  eval routing FILE                             routing accuracy on a labelled TSV (label<TAB>utterance)
  version                                       host version, plugin ABI and toolchain

Plugins are looked for in every --plugin-dir, else in $AGENT_HOST_PLUGIN_PATH (colon-separated),
else next to the agent-host executable (where `swift build` puts the reference plugins).
"""

// Whoever started us may have had SIGINT/SIGTERM blocked (children inherit the mask, and
// libdispatch threads block signals): unblock them before any thread exists, or drain never starts.
var shutdownSignals = sigset_t()
sigemptyset(&shutdownSignals)
sigaddset(&shutdownSignals, SIGINT)
sigaddset(&shutdownSignals, SIGTERM)
sigaddset(&shutdownSignals, SIGHUP)
pthread_sigmask(SIG_UNBLOCK, &shutdownSignals, nil)

func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("agent-host: \(message)\n".utf8))
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    print(usage)
    exit(2)
}
arguments.removeFirst()

switch command {
case "plugins":
    guard let sub = arguments.first else { fail("plugins needs list, inspect, sign or verify\n\n\(usage)") }
    arguments.removeFirst()
    var directories: [String] = []
    var json = false
    var paths: [String] = []
    var key: String?
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--key":
            guard index + 1 < arguments.count else { fail("--key needs a PEM file") }
            key = arguments[index + 1]
            index += 1
        case "--plugin-dir":
            guard index + 1 < arguments.count else { fail("--plugin-dir needs a directory") }
            directories.append(arguments[index + 1])
            index += 1
        case "--json": json = true
        case let option where option.hasPrefix("-"): fail("unknown option \(option) for plugins \(sub)")
        case let path: paths.append(path)
        }
        index += 1
    }
    let loader = PluginLoader(directories: directories.isEmpty ? PluginLoader.defaultDirectories() : directories)
    switch sub {
    case "list":
        let catalog = loader.loadAll()
        print(json ? PluginReport.json(catalog) : PluginReport.list(catalog), terminator: "")
    case "inspect":
        guard paths.count == 1 else { fail("plugins inspect needs exactly one PATH") }
        switch loader.open(path: paths[0]) {
        case .success(let plugin): print(PluginReport.inspect(plugin), terminator: "")
        case .failure(let refusal):
            print(PluginReport.refusal(refusal), terminator: "")
            exit(1)
        }
    case "sign":
        guard let key, paths.count == 1 else { fail("usage: agent-host plugins sign --key KEY.pem FILE (an Ed25519 private key: openssl genpkey -algorithm ed25519 -out KEY.pem)") }
        do { print("wrote \(try PluginSignature.sign(file: paths[0], keyPath: key))") } catch { fail(error.description, code: 1) }
    case "verify":
        guard let key, paths.count == 1 else { fail("usage: agent-host plugins verify --key PUBLIC.pem FILE (checks FILE.sig)") }
        do {
            if let problem = try PluginSignature.verify(file: paths[0], keyPath: key) { fail("\(paths[0]): \(problem)", code: 1) }
            print("\(paths[0]): signature verifies with \(key)")
        } catch { fail(error.description, code: 1) }
    default:
        fail("unknown plugins command '\(sub)': use list, inspect, sign or verify")
    }
case "chat":
    var chat = LocalChat()
    var local = false
    var chatURL: String?
    var chatKey: String?
    var index = 0
    func value(_ option: String) -> String {
        guard index + 1 < arguments.count else { fail("\(option) needs a value") }
        index += 1
        return arguments[index]
    }
    while index < arguments.count {
        switch arguments[index] {
        case "--local": local = true
        case "--json": chat.json = true
        case "--caller": chat.caller = value("--caller")
        case "--tenant": chat.tenantID = value("--tenant")
        case "--backend": chat.backendURL = value("--backend")
        case "--api-key": chatKey = value("--api-key"); chat.apiKey = chatKey ?? chat.apiKey
        case "--url": chatURL = value("--url")
        case "--plugin-dir": chat.pluginDirectories = [value("--plugin-dir")]
        case let other: fail("unknown option \(other) for chat")
        }
        index += 1
    }
    if local {
        do { try chat.run() } catch { fail(error.description, code: error.exitCode) }
    } else {
        var remote = RemoteChat()
        remote.caller = chat.caller
        remote.json = chat.json
        remote.tenant = chat.tenantID == ReferenceDeployment.tenantID ? nil : chat.tenantID
        remote.url = chatURL ?? remote.url
        remote.apiKey = chatKey
        do { try remote.run() } catch { fail(error.description, code: error.exitCode) }
    }
case "call":
    var call = VoiceCallClient()
    var index = 0
    func value(_ option: String) -> String {
        guard index + 1 < arguments.count else { fail("\(option) needs a value") }
        index += 1
        return arguments[index]
    }
    while index < arguments.count {
        switch arguments[index] {
        case "--wav": call.wavPath = value("--wav")
        case "--say": call.sayText = value("--say")
        case "--out": call.outPath = value("--out")
        case "--url": call.url = value("--url")
        case "--caller": call.caller = value("--caller")
        case "--tenant": call.tenant = value("--tenant")
        case "--token", "--api-key": call.token = value(arguments[index])
        case "--json": call.json = true
        case let other: fail("unknown option \(other) for call (usage: agent-host call --wav FILE [--url URL] [--out reply.wav])")
        }
        index += 1
    }
    do { try call.run() } catch { fail(error.description, code: error.exitCode) }
case "eval":
    guard arguments.count == 2, arguments[0] == "routing" else { fail("usage: agent-host eval routing FILE") }
    let cases: [RoutingEvaluation.Case]
    do { cases = try RoutingEvaluation.load(arguments[1]) } catch { fail("cannot read \(arguments[1]): \(error)") }
    let deployment: LocalDeployment
    do { deployment = try LocalDeployment() } catch { fail(error.description, code: error.exitCode) }
    let outcomes = RoutingEvaluation.run(cases, on: deployment)
    deployment.shutdown()
    print(RoutingEvaluation.report(outcomes), terminator: "")
case "reload":
    if arguments.contains("--help") || arguments.contains("-h") {
        print("usage: agent-host reload --url ADMIN_URL --admin-key KEY\n\nAsks a running host (its admin listener, admin: in the configuration) to re-read its\nconfiguration and plugin files, as SIGHUP does; prints what changed. Exit 0 applied, 2 refused\n(the running configuration stays), 1 unreachable or unauthorised. docs/operations.md")
        exit(0)
    }
    var url: String?
    var key: String?
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--url" where index + 1 < arguments.count: url = arguments[index + 1]; index += 1
        case "--admin-key" where index + 1 < arguments.count: key = arguments[index + 1]; index += 1
        default: fail("unknown or incomplete option \(arguments[index]) for reload (usage: agent-host reload --url ADMIN_URL --admin-key KEY)")
        }
        index += 1
    }
    guard let url, let key else { fail("reload needs --url ADMIN_URL and --admin-key KEY (usage: agent-host reload --url http://127.0.0.1:9090 --admin-key KEY)") }
    do { try AdminReload(url: url, adminKey: key).run() } catch { fail(error.description, code: error.exitCode) }
case "hash-key":
    guard arguments.count == 1, !arguments[0].isEmpty else { fail("usage: agent-host hash-key KEY") }
    print(APIKeys.hash(arguments[0]))
case "serve":
    var path: String?
    var port: Int?
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--config" where index + 1 < arguments.count: path = arguments[index + 1]; index += 1
        case "--port" where index + 1 < arguments.count:
            guard let value = Int(arguments[index + 1]), (0...65_535).contains(value) else { fail("--port must be 0-65535") }
            port = value; index += 1
        default: fail("unknown or incomplete option \(arguments[index]) for serve (usage: agent-host serve --config FILE [--port N])")
        }
        index += 1
    }
    guard let path else { fail("serve needs --config FILE (see docs/operations.md)") }
    var configuration: HostConfiguration
    do { configuration = try HostConfiguration.load(path: path) } catch { fail(error.description) }
    if let port { configuration.server.port = port }
    do {
        var runner = HostRunner(configuration: configuration, persistence: SessionStores.make(configuration.redis))
        runner.portOverride = port
        try runner.run()
    } catch {
        fail(error.description, code: error.exitCode)
    }
case "demo":
    var port = 8080
    if let index = arguments.firstIndex(of: "--port") {
        guard index + 1 < arguments.count, let value = Int(arguments[index + 1]), (0...65_535).contains(value) else { fail("--port must be 0-65535") }
        port = value
    }
    do { try Demo(port: port).run() } catch { fail(error.description, code: error.exitCode) }
case "version", "--version":
    print(PluginReport.header())
case "help", "--help", "-h":
    print(usage)
default:
    fail("unknown command '\(command)'\n\n\(usage)")
}
