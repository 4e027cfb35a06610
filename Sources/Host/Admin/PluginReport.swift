import Foundation
import HostPlugins
import HostSupport
import PluginABI

/// Renders what the loader found, for `agent-host plugins list` and `plugins inspect`.
public enum PluginReport {
    public static func header() -> String {
        "\(HostInfo.name) \(HostInfo.version)\(ExecutableBuildID.current.map { " (build \($0.prefix(12)))" } ?? ""), "
            + "plugin ABI \(HostInfo.abiMajor).\(HostInfo.abiMinor), \(HostInfo.swiftToolchain)"
    }

    public static func list(_ catalog: PluginCatalog) -> String {
        var out = header() + "\n"
        out += "plugin directories: \(catalog.directories.joined(separator: ", "))\n\n"
        let componentCount = catalog.loaded.reduce(0) { $0 + $1.components.count }
        out += "loaded: \(catalog.loaded.count) file(s), \(componentCount) component(s)\n"
        for plugin in catalog.loaded {
            out += "  \(plugin.fileName)  [ABI \(plugin.abiMajor).\(plugin.abiMinor), \(runtime(plugin))]  sha256:\(plugin.sha256)\n"
            for c in plugin.components { out += "    " + line(c) + "\n" }
            for note in plugin.notes { out += "    note: \(note)\n" }
        }
        out += "\nrefused: \(catalog.refused.count) file(s)\n"
        for refusal in catalog.refused { out += "  \(refusal.path): \(refusal.reason)\n" }
        return out
    }

    public static func inspect(_ plugin: LoadedPlugin) -> String {
        var out = "file: \(plugin.sourcePath)\n"
        out += "status: loaded\n"
        out += "sha256: \(plugin.sha256)\n"
        out += "loaded from: \(plugin.path) (the host's private copy)\n"
        out += "ABI: \(plugin.abiMajor).\(plugin.abiMinor) (host \(HostInfo.abiMajor).\(HostInfo.abiMinor))\n"
        out += "toolchain: \(plugin.toolchain)\n"
        for note in plugin.notes { out += "note: \(note)\n" }
        for c in plugin.components {
            out += "\n\(c.kind?.rawValue ?? "?") \(c.id)\n"
            out += "  name: \(c.name)\n  version: \(c.version ?? "")\n  description: \(c.description ?? "")\n"
            if !c.requiredExtensions.isEmpty { out += "  requires: \(c.requiredExtensions.joined(separator: ", "))\n" }
            if let agent = c.agent {
                out += "  handoff: \(agent.handoffDescription)\n"
                if !agent.toolNames.isEmpty { out += "  tools: \(agent.toolNames.joined(separator: ", "))\n" }
                out += "  examples:\n" + agent.examples.map { "    - \($0)\n" }.joined()
                if let instructions = agent.instructions { out += "  instructions: \(instructions)\n" }
            }
            if let tool = c.tool {
                out += "  function: \(tool.name)\n  parameters: \(tool.parametersSchema)\n"
            }
        }
        return out
    }

    public static func refusal(_ refusal: PluginRefusal) -> String {
        "file: \(refusal.path)\nstatus: refused\nreason: \(refusal.reason)\n"
    }

    /// Machine-readable form of the catalog.
    /// `files`: per loaded file, what the running host knows (admin listener); nil for the CLI.
    public static func json(_ catalog: PluginCatalog, files: [[String: Any]]? = nil) -> String {
        let loaded: [[String: Any]] = catalog.loaded.map { plugin in
            ["path": plugin.sourcePath, "sha256": plugin.sha256, "loaded_copy": plugin.path, "abi": "\(plugin.abiMajor).\(plugin.abiMinor)", "toolchain": plugin.toolchain,
             "notes": plugin.notes,
             "components": plugin.components.map { c -> [String: Any] in
                 var entry: [String: Any] = ["id": c.id, "kind": c.kind?.rawValue ?? "", "name": c.name,
                                             "version": c.version ?? "", "description": c.description ?? ""]
                 if let tool = c.tool { entry["function"] = tool.name }
                 if let agent = c.agent { entry["examples"] = agent.examples.count }
                 return entry
             }]
        }
        let refused = catalog.refused.map { ["path": $0.path, "reason": $0.reason] }
        var object: [String: Any] = ["directories": catalog.directories, "loaded": loaded, "refused": refused]
        if let files { object["files"] = files }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func line(_ c: ComponentDescriptor) -> String {
        let kind = (c.kind?.rawValue ?? "?").padding(toLength: 5, withPad: " ", startingAt: 0)
        var text = "\(kind) \(c.id)  \"\(c.name)\" \(c.version ?? "")"
        if let tool = c.tool { text += "  function \(tool.name)" }
        if let agent = c.agent { text += "  \(agent.examples.count) routing examples" }
        return text
    }

    private static func runtime(_ plugin: LoadedPlugin) -> String {
        plugin.toolchain == AH_TOOLCHAIN_NONE ? "no language runtime (C)" : "Swift, same toolchain as host"
    }
}
