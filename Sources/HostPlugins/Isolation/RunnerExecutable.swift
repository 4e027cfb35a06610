import Foundation
import HostSupport
import Synchronization

/// Finds the plugin runner (`agent-host-plugin-runner`, plain C, PluginRunner/plugin_runner.c):
/// `AGENT_HOST_PLUGIN_RUNNER`, else beside the running executable (where `scripts/setup` puts
/// it), else — in a source checkout — compiled once with `cc` into a cache directory.
/// It is built with cc and not as a SwiftPM target because SwiftPM links libswiftCore into every
/// executable, and the runner must have no Swift runtime of its own (a Swift plugin brings its own).
enum RunnerExecutable {
    static let name = "agent-host-plugin-runner"

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    private static let resolved = Mutex<String?>(nil)

    static func path(environment: [String: String] = ProcessInfo.processInfo.environment) throws(Missing) -> String {
        if let path = resolved.withLock({ $0 }) { return path }
        let fm = FileManager.default
        if let path = environment["AGENT_HOST_PLUGIN_RUNNER"], !path.isEmpty {
            guard fm.isExecutableFile(atPath: path) else { throw Missing(description: "AGENT_HOST_PLUGIN_RUNNER=\(path) is not an executable file") }
            return remember(path)
        }
        let executable = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let beside = ((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
        if fm.isExecutableFile(atPath: beside) { return remember(beside) }
        return remember(try build())
    }

    private static func remember(_ path: String) -> String {
        resolved.withLock { $0 = path }
        return path
    }

    /// The checkout this host was built from (only useful where that tree still exists).
    static var sourceRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Compiles the runner from the checkout into a cache directory keyed by its source.
    static func build() throws(Missing) -> String {
        let root = sourceRoot
        let source = root + "/PluginRunner/plugin_runner.c"
        guard let text = try? String(contentsOfFile: source, encoding: .utf8),
              let wire = try? String(contentsOfFile: root + "/PluginRunner/wire.h", encoding: .utf8) else {
            throw Missing(description: "no \(name) beside the executable and no source at \(source): run ./scripts/setup, or set AGENT_HOST_PLUGIN_RUNNER to the runner's path")
        }
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in (text + wire).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        let directory = NSTemporaryDirectory() + "agent-host-runner-\(String(hash, radix: 16))"
        let output = directory + "/" + name
        if FileManager.default.isExecutableFile(atPath: output) { return output }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let partial = output + ".\(getpid())"
        let built: ChildCommandResult
        do {
            built = try ChildCommand.run("cc", ["-std=c11", "-O2", "-Wall", "-pthread", "-I", root + "/Sources/PluginABI/include", "-I", root + "/PluginRunner",
                                                "-o", partial, source, "-ldl", "-lseccomp"], timeoutSeconds: 120)
        } catch { throw Missing(description: "cannot run cc to build \(name): \(error.description)") }
        guard built.status == 0, rename(partial, output) == 0 else {
            throw Missing(description: "building \(name) with cc failed: \(built.stderr)")
        }
        return output
    }
}
