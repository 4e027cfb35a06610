import Foundation
import PluginABI

/// A shared object the loader accepted: its entry, factory and the components it provides.
/// Never unloaded (opened with RTLD_NODELETE; we never dlclose: see docs/abi.md).
public final class LoadedPlugin: @unchecked Sendable {
    // @unchecked: immutable once the loader returns it (`record` runs before); the C pointers
    // target the plugin's static storage.
    /// The private copy that was opened (PluginFileCache): what dlopen and runners map.
    public let path: String
    /// Where the file was deployed (what the operator manages; may since be overwritten or gone).
    public private(set) var sourcePath: String
    /// sha256 of the file's bytes, lowercase hex.
    public private(set) var sha256 = ""
    public let abiMajor: UInt16
    public let abiMinor: UInt16
    public let toolchain: String
    public let components: [ComponentDescriptor]
    /// Remarks an operator may want to know (e.g. built for a newer minor ABI).
    public let notes: [String]
    /// nil for a plugin only a plugin runner may open (built by another Swift toolchain): its
    /// descriptors were read by the runner and it has no in-process entry or factory.
    let entry: UnsafePointer<ah_plugin_entry_t>?
    let factory: UnsafePointer<ah_plugin_factory_t>?
    let descriptorPointers: [String: UnsafePointer<ah_plugin_descriptor_t>]
    let componentIDs: Set<String>

    /// Whether the host may instantiate it in-process (else only with `isolation: process`).
    public var runsInProcess: Bool { factory != nil }

    init(path: String, entry: UnsafePointer<ah_plugin_entry_t>, factory: UnsafePointer<ah_plugin_factory_t>,
         components: [(ComponentDescriptor, UnsafePointer<ah_plugin_descriptor_t>)], notes: [String]) {
        self.path = path
        self.sourcePath = path
        self.entry = entry
        self.factory = factory
        self.abiMajor = entry.pointee.abi_major
        self.abiMinor = entry.pointee.abi_minor
        self.toolchain = String(cString: entry.pointee.toolchain)
        self.components = components.map(\.0)
        self.descriptorPointers = Dictionary(components.map { ($0.0.id, $0.1) }, uniquingKeysWith: { first, _ in first })
        self.componentIDs = Set(components.map(\.0.id))
        self.notes = notes
    }

    /// A plugin described by a plugin runner, for process isolation only.
    init(runnerOnlyPath path: String, abiMajor: UInt16, abiMinor: UInt16, toolchain: String,
         components: [ComponentDescriptor], notes: [String]) {
        self.path = path
        self.sourcePath = path
        self.entry = nil
        self.factory = nil
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.toolchain = toolchain
        self.components = components
        self.descriptorPointers = [:]
        self.componentIDs = Set(components.map(\.id))
        self.notes = notes
    }

    /// "C" for plugins without a runtime constraint, else the toolchain string.
    public var language: String { toolchain == AH_TOOLCHAIN_NONE ? "no runtime constraint" : toolchain }

    /// Set by the loader before anyone else sees the plugin.
    func record(source: String, sha256: String) {
        sourcePath = source
        self.sha256 = sha256
    }

    /// The file name operators know it by.
    public var fileName: String { (sourcePath as NSString).lastPathComponent }

    /// Calls the plugin's shutdown; the image stays mapped.
    func shutdown() {
        entry?.pointee.shutdown()
    }
}

/// A file the loader would not use, and why (one line, for `agent-host plugins list`).
public struct PluginRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// What loading the configured directories produced.
public struct PluginCatalog: Sendable {
    public var directories: [String] = []
    public var loaded: [LoadedPlugin] = []
    public var refused: [PluginRefusal] = []

    public init() {}

    public var components: [ComponentDescriptor] { loaded.flatMap(\.components) }

    /// The plugin providing component `id`: at `version` when given, else the highest version
    /// loaded (numeric dot-separated comparison; the first loaded among equals).
    public func plugin(providing id: String, version: String? = nil) -> LoadedPlugin? {
        let providers = loaded.filter { $0.componentIDs.contains(id) }
        if let version {
            return providers.first { plugin in plugin.components.contains { $0.id == id && ($0.version ?? "") == version } }
        }
        var best: (LoadedPlugin, String)?
        for plugin in providers {
            let candidate = plugin.components.first { $0.id == id }?.version ?? ""
            if let current = best, !Self.isNewer(candidate, than: current.1) { continue }
            best = (plugin, candidate)
        }
        return best?.0
    }

    /// Every version of component `id` loaded, highest first.
    public func versions(of id: String) -> [String] {
        loaded.flatMap(\.components).filter { $0.id == id }.map { $0.version ?? "" }
            .sorted { Self.isNewer($0, than: $1) }
    }

    public func component(_ id: String, version: String? = nil) -> ComponentDescriptor? {
        plugin(providing: id, version: version)?.components.first { $0.id == id }
    }

    /// "1.10.0" is newer than "1.9.2"; numeric parts compare as numbers, others as text.
    static func isNewer(_ a: String, than b: String) -> Bool {
        let x = a.split(separator: "."), y = b.split(separator: ".")
        for index in 0..<max(x.count, y.count) {
            let p = index < x.count ? String(x[index]) : "0", q = index < y.count ? String(y[index]) : "0"
            if let m = Int(p), let n = Int(q) {
                if m != n { return m > n }
            } else if p != q {
                return p > q
            }
        }
        return false
    }

    /// Shuts every plugin down (after all instances were destroyed), in reverse load order.
    public func shutdownAll() {
        for plugin in loaded.reversed() { plugin.shutdown() }
    }
}
