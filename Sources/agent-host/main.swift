// agent-host: argument parsing and wiring only. Exit codes (CONTRACT §3): 0 success,
// 1 runtime failure, 2 bad usage or configuration (with a one-line reason).
import Foundation
import Host

let usage = """
usage: agent-host <command> [options]

commands:
  plugins list [--plugin-dir DIR]... [--json]   what the host would load, and why anything was refused
  plugins inspect PATH                          one plugin file in detail, or why it is refused
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
case "version", "--version":
    print(PluginReport.header())
case "help", "--help", "-h":
    print(usage)
default:
    fail("unknown command '\(command)'\n\n\(usage)")
}
