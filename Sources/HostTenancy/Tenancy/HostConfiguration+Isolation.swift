import HostOrchestration
import HostPlugins
import Yams

/// `plugins: {isolation: in_process|process, max_memory_mb: N}` and a tenant's plugin entries,
/// each a component id or a mapping `{id: com.example.x, isolation: process, max_memory_mb: 512}`.
extension HostConfiguration {
    static let pluginEntryKeys = ["id", "isolation", "max_memory_mb", "sha256", "version"]
    static let maxMemoryRange = 16...1_048_576

    static func parseIsolation(_ mapping: ConfigurationMapping, default base: PluginIsolation) throws(ConfigurationError) -> PluginIsolation {
        var isolation = base
        if let mode = try mapping.string("isolation") {
            guard let parsed = PluginIsolation.Mode(rawValue: mode) else {
                throw mapping.fail("isolation", "\"\(mode)\" is not one of \(PluginIsolation.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            isolation.mode = parsed
        }
        if let megabytes = try mapping.int("max_memory_mb", in: maxMemoryRange) { isolation.maxMemoryMB = megabytes }
        return isolation
    }

    /// The tenant's component ids in file order, where each is written, and each one's isolation.
    static func parsePluginEntries(_ entry: ConfigurationMapping, default base: PluginIsolation) throws(ConfigurationError)
        -> ([String], [String: SourceLocation], [String: PluginIsolation], [String: PluginPin])
    {
        guard let node = entry.value("plugins") else { throw entry.fail("plugins", "at least one plugin (component id) is required") }
        guard case .sequence(let items) = node else {
            throw entry.fail(at: node, "plugins", "must be a list, got \(ConfigurationReader.show(node))")
        }
        guard !items.isEmpty else { throw entry.fail(at: node, "plugins", "at least one plugin (component id) is required") }
        var plugins: [String] = []
        var locations: [String: SourceLocation] = [:]
        var isolations: [String: PluginIsolation] = [:]
        var pins: [String: PluginPin] = [:]
        for item in items {
            let id: String, idNode: Node
            var isolation = base
            switch item {
            case .scalar(let scalar) where !ConfigurationReader.isNull(item):
                (id, idNode) = (scalar.string, item)
            case .mapping:
                var scope = entry.scope.child("plugins")
                scope.path[scope.path.count - 1] = "plugins[\(plugins.count)]"
                let mapping = try ConfigurationMapping(item, scope: scope, allowed: pluginEntryKeys, reader: entry.reader)
                id = try mapping.requiredString("id")
                idNode = mapping.value("id") ?? item
                isolation = try parseIsolation(mapping, default: base)
                if let sha = try mapping.string("sha256") {
                    let hex = sha.lowercased().hasPrefix("sha256:") ? String(sha.dropFirst(7)).lowercased() : sha.lowercased()
                    guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                        throw mapping.fail("sha256", "must be the file's sha256 as 64 hex digits (`sha256sum FILE`, or `agent-host plugins inspect FILE`)")
                    }
                    pins[id, default: PluginPin()].sha256 = hex
                    pins[id, default: PluginPin()].location = ConfigurationReader.location(of: mapping.value("sha256"))
                }
                if let version = try mapping.string("version") {
                    guard !version.isEmpty else { throw mapping.fail("version", "must not be empty (leave it out for the highest version loaded)") }
                    pins[id, default: PluginPin()].version = version
                    pins[id, default: PluginPin()].versionLocation = ConfigurationReader.location(of: mapping.value("version"))
                }
            default:
                throw entry.fail(at: item, "plugins", "list items must be component ids or {id:, isolation:, max_memory_mb:, sha256:, version:} mappings, got \(ConfigurationReader.isNull(item) ? "an empty item" : ConfigurationReader.show(item))")
            }
            guard DescriptorValidator.isReverseDNS(id) else {
                throw entry.fail(at: idNode, "plugins", "\"\(id)\" is not a component id like com.example.support.billing")
            }
            guard locations[id] == nil else { throw entry.fail(at: idNode, "plugins", "\"\(id)\" is listed twice") }
            plugins.append(id)
            locations[id] = ConfigurationReader.location(of: idNode)
            isolations[id] = isolation
        }
        return (plugins, locations, isolations, pins)
    }
}

/// What a tenant's plugin entry pins about the file providing the component.
public struct PluginPin: Sendable, Equatable {
    /// Lowercase hex sha256 the providing file must have.
    public var sha256: String?
    /// Where the pin is written, for the error when it does not match.
    public var location: SourceLocation?
    /// `version:` the component version to run (several may be loaded side by side); nil = the highest.
    public var version: String?
    public var versionLocation: SourceLocation?

    public init() {}
}
