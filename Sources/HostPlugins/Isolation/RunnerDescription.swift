import Foundation
import HostSupport
import PluginABI

/// Reads a plugin's descriptors through the plugin runner (`--describe`), for a plugin the host
/// must not initialise itself: a Swift plugin built by another toolchain than the host's. Such a
/// plugin is accepted for `isolation: process` only (PluginInstance.create says so otherwise).
enum RunnerDescription {
    static let timeoutSeconds = 10.0

    /// A plugin whose entry names another Swift toolchain (read in-process before its init ran).
    static func open(path: String, toolchain: String, availableExtensions: Set<String>) -> Result<LoadedPlugin, PluginRefusal> {
        describe(path: path, availableExtensions: availableExtensions,
                 mismatch: "built with Swift toolchain '\(toolchain)', not the host's '\(HostInfo.swiftToolchain)'")
    }

    /// A plugin that would load a Swift runtime other than the host's: never mapped in-process.
    /// If its toolchain turns out to be the host's, the usual in-process loader opens it after all.
    static func open(path: String, foreignRuntime: String, availableExtensions: Set<String>) -> Result<LoadedPlugin, PluginRefusal> {
        describe(path: path, availableExtensions: availableExtensions,
                 mismatch: "linked against the Swift runtime \(foreignRuntime), not the host's")
    }

    private static func describe(path: String, availableExtensions: Set<String>, mismatch: String) -> Result<LoadedPlugin, PluginRefusal> {
        func refuse(_ reason: String) -> Result<LoadedPlugin, PluginRefusal> {
            .failure(PluginRefusal(path: path, reason: "\(mismatch), and the plugin runner could not describe it: \(reason)"))
        }
        let runner: String
        do { runner = try RunnerExecutable.path() } catch { return refuse(error.description) }
        let described: ChildCommandResult
        do {
            described = try ChildCommand.run(runner, ["--describe", path], environment: [:], timeoutSeconds: timeoutSeconds)
        } catch { return refuse("cannot describe it with \(runner): \(error.description)") }
        let message = described.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        guard described.status == 0 else {
            return refuse(message.isEmpty ? "the runner exited with status \(described.status)" : message)
        }
        let data = Data(described.stdout.utf8)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = object["components"] as? [[String: Any]] else { return refuse("its answer is not the expected JSON") }
        var components: [ComponentDescriptor] = []
        for item in list {
            let descriptor = descriptor(item)
            let problems = DescriptorValidator.problems(in: descriptor)
            guard problems.isEmpty else { return refuse("invalid descriptor '\(descriptor.id)': " + problems.joined(separator: "; ")) }
            let missing = descriptor.requiredExtensions.filter { !availableExtensions.contains($0) }
            guard missing.isEmpty else { return refuse("\(descriptor.id) requires extension \(missing.joined(separator: ", ")), which this host does not provide") }
            components.append(descriptor)
        }
        guard !components.isEmpty else { return refuse("its factory lists no plugins") }
        let toolchain = object["toolchain"] as? String ?? "?"
        let note = "\(mismatch): runs only with isolation: process (described by the plugin runner, never loaded in-process)"
        return .success(LoadedPlugin(runnerOnlyPath: path, abiMajor: UInt16(object["abi_major"] as? Int ?? 1),
                                     abiMinor: UInt16(object["abi_minor"] as? Int ?? 0), toolchain: toolchain,
                                     components: components, notes: [note]))
    }

    private static func descriptor(_ item: [String: Any]) -> ComponentDescriptor {
        let rawKind = UInt32(item["kind"] as? Int ?? 0)
        var descriptor = ComponentDescriptor(
            id: item["id"] as? String ?? "", kind: rawKind == AH_PLUGIN_KIND_AGENT ? .agent : .tool,
            displayName: item["display_name"] as? String ?? "", version: item["version"] as? String ?? "",
            description: item["description"] as? String ?? "", requiredExtensions: item["required_extensions"] as? [String] ?? [])
        descriptor.rawKind = rawKind
        descriptor.kind = rawKind == AH_PLUGIN_KIND_AGENT ? .agent : (rawKind == AH_PLUGIN_KIND_TOOL ? .tool : nil)
        descriptor.displayName = item["display_name"] as? String
        descriptor.version = item["version"] as? String
        descriptor.description = item["description"] as? String
        if let agent = item["agent"] as? [String: Any] {
            descriptor.agent = .init(handoffDescription: agent["handoff_description"] as? String ?? "", examples: agent["examples"] as? [String] ?? [],
                                     instructions: agent["instructions"] as? String, toolNames: agent["tool_names"] as? [String] ?? [])
        }
        if let tool = item["tool"] as? [String: Any] {
            descriptor.tool = .init(name: tool["name"] as? String ?? "", parametersSchema: tool["parameters_schema"] as? String ?? "")
        }
        return descriptor
    }
}
