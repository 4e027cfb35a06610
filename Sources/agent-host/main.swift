// agent-host: argument parsing and wiring only. Exit codes (CONTRACT §3): 0 success,
// 1 runtime failure, 2 bad usage or configuration (with a one-line reason).
import Foundation
import Host

let usage = """
usage: agent-host <command> [options]

commands:
  plugins list [--plugin-dir DIR]... [--json]   what the host would load, and why anything was refused
  plugins inspect PATH                          one plugin file in detail, or why it is refused
  chat --local [--json] [--caller N] [--tenant T] [--backend URL] [--api-key K]
                                                a conversation with the reference plugins in-process;
                                                starts the reference backend itself unless --backend
  eval routing FILE                             routing accuracy on a labelled TSV (label<TAB>utterance)
  version                                       host version, plugin ABI and toolchain

Plugins are looked for in every --plugin-dir, else in $AGENT_HOST_PLUGIN_PATH (colon-separated),
else next to the agent-host executable (where `swift build` puts the reference plugins).
"""

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
    guard let sub = arguments.first else { fail("plugins needs list or inspect\n\n\(usage)") }
    arguments.removeFirst()
    var directories: [String] = []
    var json = false
    var paths: [String] = []
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
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
    default:
        fail("unknown plugins command '\(sub)': use list or inspect")
    }
case "chat":
    var chat = LocalChat()
    var local = false
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
        case "--api-key": chat.apiKey = value("--api-key")
        case "--plugin-dir": chat.pluginDirectories = [value("--plugin-dir")]
        case let other: fail("unknown option \(other) for chat")
        }
        index += 1
    }
    guard local else { fail("chat without --local needs a running host (agent-host serve): not available in this build yet; use chat --local") }
    do {
        try chat.run()
    } catch {
        fail(error.description, code: error.exitCode)
    }
case "eval":
    guard arguments.count == 2, arguments[0] == "routing" else { fail("usage: agent-host eval routing FILE") }
    let cases: [RoutingEvaluation.Case]
    do { cases = try RoutingEvaluation.load(arguments[1]) } catch { fail("cannot read \(arguments[1]): \(error)") }
    let deployment: LocalDeployment
    do { deployment = try LocalDeployment() } catch { fail(error.description, code: error.exitCode) }
    let outcomes = RoutingEvaluation.run(cases, on: deployment)
    deployment.shutdown()
    print(RoutingEvaluation.report(outcomes), terminator: "")
case "version", "--version":
    print(PluginReport.header())
case "help", "--help", "-h":
    print(usage)
default:
    fail("unknown command '\(command)'\n\n\(usage)")
}
