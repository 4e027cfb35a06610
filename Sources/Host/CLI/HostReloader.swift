import Foundation
import HostNet

/// Re-reads the operator's configuration file and applies it to the running host (SIGHUP,
/// `POST /admin/v1/reload`): tenants added, removed or changed; plugin files that are new or
/// changed loaded from their private copies beside the old ones (never dlclose'd).
///
/// Everything slow (reading and parsing YAML, hashing and copying plugin files, creating
/// instances, building speech models) runs on the reloader's own queue; the loop only swaps the
/// server's tenant map. A session keeps the `TenantRuntime` it started with; new sessions get the
/// new one. A configuration that does not load is refused whole and the running one stays.
public final class HostReloader: @unchecked Sendable {
    // @unchecked: `current`, `catalog`, `served`, `everLoaded` are touched only on `queue`.

    /// What one reload did: applied (with what changed) or refused (with the configuration error).
    public struct Outcome: Sendable {
        public let applied: Bool
        /// One line per change, or the reason it was refused.
        public let lines: [String]
        public var summary: String { lines.joined(separator: "; ") }
        public var json: String {
            applied ? JSONText.render(["applied": true, "changes": lines] as [String: Any])
                    : JSONText.render(["applied": false, "error": summary] as [String: Any])
        }
    }

    private let queue = DispatchQueue(label: "agent-host.reload")
    private let server: HostServer
    private let services: HostServices
    private let portOverride: Int?
    private var current: HostConfiguration
    private var catalog: PluginCatalog
    private var served: [String: ServedTenant]
    /// Every plugin ever loaded, by sha256: a file with the same bytes is never opened twice.
    private var everLoaded: [String: LoadedPlugin]

    init(configuration: HostConfiguration, catalog: PluginCatalog, served: [ServedTenant], server: HostServer,
         services: HostServices, portOverride: Int?) {
        self.current = configuration
        self.catalog = catalog
        self.served = Dictionary(served.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.server = server
        self.services = services
        self.portOverride = portOverride
        self.everLoaded = Dictionary(catalog.loaded.map { ($0.sha256, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reloads in the background; `done` gets the outcome (also logged, with `who` asked for it).
    public func reload(requestedBy who: String, done: @escaping @Sendable (Outcome) -> Void = { _ in }) {
        queue.async { [self] in
            let outcome = apply(requestedBy: who)
            services.logger.log(outcome.applied ? .info : .error, "reload",
                                "\(outcome.applied ? "applied" : "refused, the running configuration stays") (requested by \(who)): \(outcome.summary)")
            services.metrics.increment("agent_host_reloads_total", labels: ["outcome": outcome.applied ? "applied" : "refused"])
            done(outcome)
        }
    }

    /// The plugins the host serves now (for `GET /admin/v1/plugins`).
    public func snapshot(_ body: @escaping @Sendable (HostConfiguration, PluginCatalog) -> Void) {
        queue.async { [self] in body(current, catalog) }
    }

    private func apply(requestedBy who: String) -> Outcome {
        func refused(_ reason: String) -> Outcome { Outcome(applied: false, lines: [reason]) }
        var next: HostConfiguration
        do { next = try HostConfiguration.load(path: current.file) } catch { return refused(error.description) }
        if let portOverride { next.server.port = portOverride }

        var loader = next.plugins.loader
        loader.loadedBefore = everLoaded
        let nextCatalog = loader.loadAll()
        for refusal in nextCatalog.refused { services.logger.log(.warning, "plugins", "refused \(refusal)") }
        do { try next.check(against: nextCatalog) } catch { return refused(error.description) }

        var lines: [String] = []
        let oldFiles = Dictionary(catalog.loaded.map { ($0.sourcePath, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        for plugin in nextCatalog.loaded where everLoaded[plugin.sha256] == nil {
            lines.append(oldFiles[plugin.sourcePath] == nil
                         ? "plugin file \(plugin.fileName) loaded (sha256 \(plugin.sha256.prefix(12)))"
                         : "plugin file \(plugin.fileName) changed: new sessions use sha256 \(plugin.sha256.prefix(12)), live ones keep \(oldFiles[plugin.sourcePath]!.prefix(12))")
        }

        var nextServed: [ServedTenant] = []
        var built: [TenantRuntime] = []
        for tenant in next.tenants {
            let before = current.tenant(tenant.id)
            let changes = before.map { Self.differences($0, tenant, current, next, catalog, nextCatalog) } ?? []
            if let before, changes.isEmpty, let existing = served[before.id] {
                nextServed.append(existing)
                continue
            }
            do {
                let runtime = try TenantRuntime(configuration: next.tenantConfiguration(tenant), catalog: nextCatalog, services: services)
                built.append(runtime)
                nextServed.append(ServedTenant(runtime: runtime, apiKeyHashes: tenant.apiKeyHashes,
                                               maxConcurrentSessions: tenant.limits.maxConcurrentSessions,
                                               maxSessionsPerCaller: tenant.limits.maxSessionsPerCaller,
                                               voice: TenantVoice(configured: tenant)))
            } catch {
                // Instances are destroyed where plugins are called: the box is their last holder, emptied on the loop.
                let garbage = LockedValue(built)
                built.removeAll()
                nextServed.removeAll()
                server.loop.execute { garbage.set([]) }
                return refused("\(next.file): \(error)")
            }
            lines.append(before == nil ? "tenant \(tenant.id) added" : "tenant \(tenant.id) changed (\(changes.joined(separator: ", "))): new sessions use it, live ones finish on the previous one")
        }
        for tenant in current.tenants where next.tenant(tenant.id) == nil {
            lines.append("tenant \(tenant.id) removed: new sessions are refused, live ones finish")
        }
        if next.defaultTenant != current.defaultTenant { lines.append("default_tenant \(current.defaultTenant) -> \(next.defaultTenant)") }
        var notApplied: [String] = []
        if next.server != current.server { notApplied.append("server") }
        if next.redis != current.redis { notApplied.append("redis") }
        if next.admin != current.admin { notApplied.append("admin") }
        if !notApplied.isEmpty { lines.append("\(notApplied.joined(separator: " and ")) settings changed: they take effect at the next restart") }

        // Speech models are per tenant: rebuilt (off the loop) only when a tenant changed.
        var rebuiltVoice: VoiceServices?? = .none
        if !built.isEmpty || next.tenants.count != current.tenants.count {
            var rebuilt = HostRunner.voiceServices(for: nextServed.map(\.runtime))
            if let http = services.http { rebuilt = rebuilt?.addingCloudSpeech(for: nextServed, http: http) }
            rebuiltVoice = .some(rebuilt)
        }
        let voice = rebuiltVoice
        // The replaced tenants' instances are destroyed where plugins are called: on the loop,
        // once the last session using them has ended (each session holds its runtime).
        let retired = LockedValue(Array(served.values))
        served = Dictionary(nextServed.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let applied = DispatchSemaphore(value: 0)
        let defaultTenant = next.defaultTenant
        let tenants = nextServed
        server.loop.execute { [server] in
            server.replaceTenants(tenants, defaultTenant: defaultTenant)
            if case .some(let services) = voice { server.voice = services }
            retired.set([])
            applied.signal()
        }
        applied.wait()
        for plugin in nextCatalog.loaded { everLoaded[plugin.sha256] = plugin }
        current = next
        catalog = nextCatalog
        return Outcome(applied: true, lines: lines.isEmpty ? ["nothing changed"] : lines)
    }

    /// What differs between a tenant's old and new configuration, in words.
    static func differences(_ old: HostConfiguration.Tenant, _ new: HostConfiguration.Tenant,
                            _ oldConfiguration: HostConfiguration, _ newConfiguration: HostConfiguration,
                            _ oldCatalog: PluginCatalog, _ newCatalog: PluginCatalog) -> [String] {
        var changes: [String] = []
        if old.plugins != new.plugins { changes.append("plugins") }
        if old.pins != new.pins { changes.append("pins") }
        if old.entryAgent != new.entryAgent { changes.append("entry_agent") }
        if old.settings != new.settings { changes.append("settings") }
        if old.apiKeyHashes != new.apiKeyHashes { changes.append("api_keys") }
        if old.limits != new.limits { changes.append("limits") }
        if old.turnDetection != new.turnDetection || old.voice != new.voice { changes.append("voice") }
        if old.model != new.model { changes.append("model") }
        if old.isolation != new.isolation || oldConfiguration.plugins.isolation != newConfiguration.plugins.isolation {
            changes.append("isolation")
        }
        if (old.extensions ?? oldConfiguration.plugins.extensions) != (new.extensions ?? newConfiguration.plugins.extensions) {
            changes.append("extensions")
        }
        let files = new.plugins.compactMap { id -> String? in
            guard let before = oldCatalog.plugin(providing: id, version: old.pins[id]?.version),
                  let after = newCatalog.plugin(providing: id, version: new.pins[id]?.version),
                  before.sha256 != after.sha256 else { return nil }
            return after.fileName
        }
        if !files.isEmpty { changes.append("plugin file \(Array(Set(files)).sorted().joined(separator: ", "))") }
        return changes
    }
}
