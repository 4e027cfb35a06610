// agent-host: argument parsing and wiring only. Exit codes (docs/protocol.md §3): 0 success,
// 1 runtime failure, 2 bad usage or configuration (with a one-line reason).
import Foundation
import Host
import HostClient
import HostPlugins
import HostSupport
import HostTenancy

// Whoever started us may have had SIGINT/SIGTERM blocked (children inherit the mask, and
// libdispatch threads block signals): unblock them before any thread exists, or drain never starts.
var shutdownSignals = sigset_t()
sigemptyset(&shutdownSignals)
sigaddset(&shutdownSignals, SIGINT)
sigaddset(&shutdownSignals, SIGTERM)
sigaddset(&shutdownSignals, SIGHUP)
pthread_sigmask(SIG_UNBLOCK, &shutdownSignals, nil)

StandardOutput.lineBuffered()

func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("agent-host: \(message)\n".utf8))
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    print(Usage.overview)
    exit(2)
}
arguments.removeFirst()

// `COMMAND --help` (or -h) anywhere before a "--": that command's usage on stdout, exit 0.
if arguments.prefix(while: { $0 != "--" }).contains(where: { $0 == "--help" || $0 == "-h" }) {
    let subcommand = arguments.first { !$0.hasPrefix("-") }
    guard let text = Usage.of(command, subcommand: subcommand) else { fail("unknown command '\(command)' (agent-host --help lists the commands)") }
    print(text)
    exit(0)
}

switch command {
case "plugins":
    guard let sub = arguments.first else { fail("plugins needs list, inspect, sign or verify (agent-host plugins --help)") }
    arguments.removeFirst()
    var directories: [String] = []
    var json = false
    var paths: [String] = []
    var key: String?
    var cursor = ArgumentCursor(arguments)
    while let argument = cursor.next() {
        switch argument {
        case "--key": key = cursor.value("--key needs a PEM file")
        case "--plugin-dir": directories.append(cursor.value("--plugin-dir needs a directory"))
        case "--json": json = true
        case let option where option.hasPrefix("-"): fail("unknown option \(option) for plugins \(sub)")
        case let path: paths.append(path)
        }
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
    var cursor = ArgumentCursor(arguments)
    while let argument = cursor.next() {
        switch argument {
        case "--local": local = true
        case "--json": chat.json = true
        case "--caller": chat.caller = cursor.value()
        case "--tenant": chat.tenantID = cursor.value()
        case "--backend": chat.backendURL = cursor.value()
        case "--api-key": chatKey = cursor.value(); chat.apiKey = chatKey ?? chat.apiKey
        case "--url": chatURL = cursor.value()
        case "--plugin-dir": chat.pluginDirectories = [cursor.value()]
        case let other: fail("unknown option \(other) for chat")
        }
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
    var cursor = ArgumentCursor(arguments)
    while let argument = cursor.next() {
        switch argument {
        case "--wav": call.wavPath = cursor.value()
        case "--say": call.sayText = cursor.value()
        case "--out": call.outPath = cursor.value()
        case "--url": call.url = cursor.value()
        case "--caller": call.caller = cursor.value()
        case "--tenant": call.tenant = cursor.value()
        case "--token", "--api-key": call.token = cursor.value()
        case "--json": call.json = true
        case let other: fail("unknown option \(other) for call (usage: agent-host call --wav FILE [--url URL] [--out reply.wav])")
        }
    }
    do { try call.run() } catch { fail(error.description, code: error.exitCode) }
case "eval":
    if arguments.first == "scenarios" { evalScenarios(Array(arguments.dropFirst())) }
    if let option = arguments.first(where: { $0.hasPrefix("-") }) { fail("unknown option \(option) for eval (usage: agent-host eval routing FILE, or eval scenarios FILE.yaml)") }
    guard arguments.count == 2, arguments[0] == "routing" else { fail("usage: agent-host eval routing FILE, or agent-host eval scenarios FILE.yaml") }
    let cases: [RoutingEvaluation.Case]
    do { cases = try RoutingEvaluation.load(arguments[1]) } catch { fail("cannot read \(arguments[1]): \(error)") }
    let deployment: LocalDeployment
    do { deployment = try LocalDeployment() } catch { fail(error.description, code: error.exitCode) }
    let outcomes = RoutingEvaluation.run(cases, on: deployment)
    deployment.shutdown()
    print(RoutingEvaluation.report(outcomes), terminator: "")
case "reload":
    var url: String?
    var key: String?
    let reloadUsage = "usage: agent-host reload --url ADMIN_URL --admin-key KEY"
    var cursor = ArgumentCursor(arguments)
    while let argument = cursor.next() {
        switch argument {
        case "--url": url = cursor.value("unknown or incomplete option --url for reload (\(reloadUsage))")
        case "--admin-key": key = cursor.value("unknown or incomplete option --admin-key for reload (\(reloadUsage))")
        default: fail("unknown or incomplete option \(argument) for reload (\(reloadUsage))")
        }
    }
    guard let url, let key else { fail("reload needs --url ADMIN_URL and --admin-key KEY (usage: agent-host reload --url http://127.0.0.1:9090 --admin-key KEY)") }
    do { try AdminReload(url: url, adminKey: key).run() } catch { fail(error.description, code: error.exitCode) }
case "fleet":
    // `fleet status --redis URL [--json]`: the hosts whose heartbeat is in that Redis (docs/scaling.md).
    guard arguments.first == "status" else { fail("usage: agent-host fleet status --redis URL [--json]") }
    var redisURL: String?
    var json = false
    var cursor = ArgumentCursor(arguments, from: 1)
    while let argument = cursor.next() {
        switch argument {
        case "--redis": redisURL = cursor.value("--redis needs a URL (e.g. redis://127.0.0.1:6379/0)")
        case "--json": json = true
        default: fail("unknown option \(argument) for fleet status (usage: agent-host fleet status --redis URL [--json])")
        }
    }
    guard let redisURL else { fail("fleet status needs --redis URL (the Redis the hosts share, e.g. redis://127.0.0.1:6379/0)") }
    do { print(try FleetStatus(redisURL: redisURL, json: json).report(), terminator: "") } catch { fail(error.description, code: error.exitCode) }
case "hash-key":
    // A key that looks like an option goes after "--" (so a mistyped option is not hashed as a key).
    if arguments.first == "--" { arguments.removeFirst() } else if let option = arguments.first, option.hasPrefix("-") {
        fail("unknown option \(option) for hash-key (a KEY starting with - goes after --: agent-host hash-key -- KEY)")
    }
    guard arguments.count == 1, !arguments[0].isEmpty else { fail("usage: agent-host hash-key KEY") }
    print(APIKeys.hash(arguments[0]))
case "serve":
    var path: String?
    var port: Int?
    var cursor = ArgumentCursor(arguments)
    while let argument = cursor.next() {
        switch argument {
        case "--config": path = cursor.value()
        case "--port":
            guard let value = Int(cursor.value()), (0...65_535).contains(value) else { fail("--port must be 0-65535") }
            port = value
        case let option: fail("unknown option \(option) for serve (usage: agent-host serve --config FILE [--port N])")
        }
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
    var cursor = ArgumentCursor(arguments)
    while let argument = cursor.next() {
        switch argument {
        case "--port":
            guard let value = Int(cursor.value("--port must be 0-65535")), (0...65_535).contains(value) else { fail("--port must be 0-65535") }
            port = value
        case let other: fail("unknown option \(other) for demo (usage: agent-host demo [--port N])")
        }
    }
    do { try Demo(port: port).run() } catch { fail(error.description, code: error.exitCode) }
case "version", "--version":
    if let other = arguments.first { fail("unknown option \(other) for version (usage: agent-host version)") }
    print(PluginReport.header())
case "help", "--help", "-h":
    // `agent-host help chat` is `agent-host chat --help`.
    guard let topic = arguments.first else { print(Usage.overview); break }
    guard let text = Usage.of(topic, subcommand: arguments.dropFirst().first) else { fail("unknown command '\(topic)' (agent-host --help lists the commands)") }
    print(text)
default:
    fail("unknown command '\(command)' (agent-host --help lists the commands)")
}
