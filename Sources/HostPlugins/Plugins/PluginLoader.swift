import Foundation
import Glibc
import HostSupport
import PluginABI

/// Finds and loads plugins: every `*.so` in the configured directories, in name order.
///
/// Each file is first copied into the host's private content-addressed cache (PluginFileCache) and
/// the copy is opened with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE and never dlclose'd (the Swift
/// runtime keeps pointers into every image it has seen); the deployed file may then be overwritten
/// or deleted. A file that cannot be used is refused with one line saying why, and loading goes on
/// with the rest. Reads, hashes and copies files: call it off the event loop.
public struct PluginLoader: Sendable {
    public var directories: [String]
    /// Extension ids this host provides, for plugins' `required_extensions`.
    public var availableExtensions: Set<String>
    /// Where private copies go, and whether loosely protected files are accepted.
    public var cache: PluginFileCache
    /// Plugins already loaded, by sha256 (a reload): a file with the same content is not opened again.
    public var loadedBefore: [String: LoadedPlugin] = [:]

    public init(directories: [String], availableExtensions: Set<String> = Set(HostInfo.extensions),
                cache: PluginFileCache = PluginFileCache()) {
        self.directories = directories
        self.availableExtensions = availableExtensions
        self.cache = cache
    }

    /// Loads every plugin in `directories`.
    public func loadAll() -> PluginCatalog {
        var catalog = PluginCatalog()
        catalog.directories = directories
        for directory in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
                catalog.refused.append(PluginRefusal(path: directory, reason: "plugin directory cannot be read"))
                continue
            }
            for name in names.sorted() where name.hasSuffix(".so") {
                load(path: (directory as NSString).appendingPathComponent(name), into: &catalog)
            }
        }
        return catalog
    }

    /// Loads one file into `catalog`: accepted, or refused with the reason.
    public func load(path: String, into catalog: inout PluginCatalog) {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: absolute) else {
            return catalog.refused.append(PluginRefusal(path: absolute, reason: "no such file"))
        }
        let staged: PluginFileCache.Staged
        switch cache.stage(absolute) {
        case .failure(let refusal): return catalog.refused.append(refusal)
        case .success(let copy): staged = copy
        }
        let opened: Result<LoadedPlugin, PluginRefusal>
        if let known = loadedBefore[staged.sha256] {
            opened = .success(known)
        } else {
            opened = open(copy: staged, deployedAt: absolute)
        }
        switch opened {
        case .failure(let refusal):
            catalog.refused.append(refusal)
        case .success(let plugin):
            // Several versions of a component may be loaded side by side (a tenant picks one with
            // `version:`); the same id at the same version twice is a mistake.
            for component in plugin.components {
                if let owner = catalog.plugin(providing: component.id, version: component.version ?? "") {
                    if loadedBefore[plugin.sha256] == nil { plugin.shutdown() }
                    catalog.refused.append(PluginRefusal(
                        path: path, reason: "duplicate id \(component.id): already provided by \(owner.sourcePath)"))
                    return
                }
            }
            catalog.loaded.append(plugin)
        }
    }

    /// Opens and validates one file on its own (what `agent-host plugins inspect` shows), through
    /// its private copy.
    public func open(path: String) -> Result<LoadedPlugin, PluginRefusal> {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: absolute) else { return .failure(PluginRefusal(path: absolute, reason: "no such file")) }
        return cache.stage(absolute).flatMap { open(copy: $0, deployedAt: absolute) }
    }

    /// Opens the private copy of a file deployed at `deployed`; refusals name the deployed file.
    private func open(copy staged: PluginFileCache.Staged, deployedAt deployed: String) -> Result<LoadedPlugin, PluginRefusal> {
        let result = open(loading: staged.path).mapError { PluginRefusal(path: deployed, reason: $0.reason) }
        if case .success(let plugin) = result { plugin.record(source: deployed, sha256: staged.sha256) }
        return result
    }

    private func open(loading absolute: String) -> Result<LoadedPlugin, PluginRefusal> {
        func refuse(_ reason: String) -> Result<LoadedPlugin, PluginRefusal> {
            .failure(PluginRefusal(path: absolute, reason: reason))
        }
        if let runtime = SwiftRuntimeProbe.foreignRuntime(of: absolute) {
            // Mapping it could register another toolchain's image with the host's Swift runtime:
            // a plugin runner opens it first and says which toolchain built it. Only one built by
            // the host's toolchain (with its own copy of the runtime) is then opened here too.
            let described = RunnerDescription.open(path: absolute, foreignRuntime: runtime, availableExtensions: availableExtensions)
            guard case .success(let plugin) = described, plugin.toolchain == HostInfo.swiftToolchain else { return described }
        }
        guard let handle = dlopen(absolute, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            return refuse("cannot be loaded: \(reason)")
        }
        guard let symbol = dlsym(handle, AH_ENTRY_SYMBOL) else {
            return refuse("no entry point: \(AH_ENTRY_SYMBOL) is not exported (not an agent-host plugin?)")
        }
        let entryFunction = unsafeBitCast(symbol, to: ah_plugin_entry_fn.self)
        guard let entry = entryFunction() else { return refuse("\(AH_ENTRY_SYMBOL)() returned NULL") }

        if let problem = entryProblem(entry) { return refuse(problem) }
        let toolchain = String(cString: entry.pointee.toolchain)
        if toolchain != AH_TOOLCHAIN_NONE && toolchain != HostInfo.swiftToolchain {
            // Not initialised here: another Swift runtime's code must not run in the host. A plugin
            // runner (no Swift runtime of its own) reads its descriptors and can run it isolated.
            return RunnerDescription.open(path: absolute, toolchain: toolchain, availableExtensions: availableExtensions)
        }

        var error = ah_error_t()
        let status = entry.pointee.`init`(absolute, &error)
        guard status == AH_OK else {
            return refuse("init failed (status \(status)): \(Self.message(&error, default: "no reason given"))")
        }
        let accepted = components(of: entry)
        switch accepted {
        case .failure(let reason):
            entry.pointee.shutdown()
            return refuse(reason.reason)
        case .success(let (factory, components)):
            var notes: [String] = []
            if entry.pointee.abi_minor > HostInfo.abiMinor {
                notes.append("built for ABI \(entry.pointee.abi_major).\(entry.pointee.abi_minor), newer than this host's \(HostInfo.abiMajor).\(HostInfo.abiMinor); loaded because every extension it requires is present")
            }
            return .success(LoadedPlugin(path: absolute, entry: entry, factory: factory, components: components, notes: notes))
        }
    }

    /// Checks the entry before any plugin code beyond it runs.
    private func entryProblem(_ entry: UnsafePointer<ah_plugin_entry_t>) -> String? {
        let e = entry.pointee
        guard e.struct_size >= UInt32(MemoryLayout<ah_plugin_entry_t>.size) else {
            return "entry struct_size \(e.struct_size) is smaller than ABI 1.0's \(MemoryLayout<ah_plugin_entry_t>.size): corrupt or not an agent-host plugin"
        }
        guard e.abi_major == HostInfo.abiMajor else {
            return "built for ABI \(e.abi_major).\(e.abi_minor); this host speaks ABI \(HostInfo.abiMajor).x: use a build of the plugin for ABI \(HostInfo.abiMajor).x"
        }
        guard let toolchainPointer = e.toolchain else {
            return "entry.toolchain is NULL: set it to AH_TOOLCHAIN_NONE for C plugins"
        }
        _ = toolchainPointer
        guard e.`init` != nil, e.shutdown != nil, e.get_factory != nil else {
            return "entry is missing init, shutdown or get_factory"
        }
        return nil
    }

    private struct Reason: Error { let reason: String }

    /// Reads and validates the factory's descriptors.
    private func components(of entry: UnsafePointer<ah_plugin_entry_t>)
        -> Result<(UnsafePointer<ah_plugin_factory_t>, [(ComponentDescriptor, UnsafePointer<ah_plugin_descriptor_t>)]), Reason>
    {
        guard let raw = entry.pointee.get_factory(AH_PLUGIN_FACTORY_ID) else {
            return .failure(Reason(reason: "provides no factory for \(AH_PLUGIN_FACTORY_ID)"))
        }
        let factory = raw.assumingMemoryBound(to: ah_plugin_factory_t.self)
        guard factory.pointee.struct_size >= UInt32(MemoryLayout<ah_plugin_factory_t>.size),
              factory.pointee.get_plugin_count != nil, factory.pointee.get_plugin_descriptor != nil,
              factory.pointee.create_plugin != nil
        else { return .failure(Reason(reason: "factory is incomplete (struct_size or functions missing)")) }

        let count = factory.pointee.get_plugin_count(factory)
        guard count > 0 else { return .failure(Reason(reason: "factory lists no plugins")) }
        guard count <= 1024 else { return .failure(Reason(reason: "factory lists \(count) plugins; at most 1024 are accepted")) }
        var result: [(ComponentDescriptor, UnsafePointer<ah_plugin_descriptor_t>)] = []
        for index in 0..<count {
            guard let pointer = factory.pointee.get_plugin_descriptor(factory, index) else {
                return .failure(Reason(reason: "descriptor \(index) is NULL"))
            }
            guard pointer.pointee.struct_size >= UInt32(MemoryLayout<ah_plugin_descriptor_t>.size) else {
                return .failure(Reason(reason: "descriptor \(index) has struct_size \(pointer.pointee.struct_size), smaller than ABI 1.0's"))
            }
            let descriptor = ComponentDescriptor(reading: pointer)
            let problems = DescriptorValidator.problems(in: descriptor)
            guard problems.isEmpty else {
                let name = descriptor.id.isEmpty ? "descriptor \(index)" : "descriptor '\(descriptor.id)'"
                return .failure(Reason(reason: "invalid \(name): " + problems.joined(separator: "; ")))
            }
            let missing = descriptor.requiredExtensions.filter { !availableExtensions.contains($0) }
            guard missing.isEmpty else {
                return .failure(Reason(reason: "\(descriptor.id) requires extension \(missing.joined(separator: ", ")), which this host (ABI \(HostInfo.abiMajor).\(HostInfo.abiMinor)) does not provide: upgrade the host"))
            }
            if result.contains(where: { $0.0.id == descriptor.id }) {
                return .failure(Reason(reason: "duplicate id \(descriptor.id) within the file"))
            }
            result.append((descriptor, pointer))
        }
        return .success((factory, result))
    }

    package static func message(_ error: inout ah_error_t, default fallback: String) -> String {
        let text = withUnsafeBytes(of: &error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return text.isEmpty ? fallback : text
    }

    /// Where plugins are looked for when nothing is configured: `AGENT_HOST_PLUGIN_PATH`
    /// (colon-separated), else the directory of the running executable (where `swift build`
    /// puts the reference plugins next to `agent-host`).
    public static func defaultDirectories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let path = environment["AGENT_HOST_PLUGIN_PATH"], !path.isEmpty {
            return path.split(separator: ":").map(String.init)
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return [(executable as NSString).deletingLastPathComponent]
    }
}
