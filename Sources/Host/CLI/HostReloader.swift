import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostServer
import HostSupport
import HostTenancy
import HostVoice

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
    /// Plugins an operator disabled per tenant (`POST /admin/v1/tenants/{id}/plugins/{plugin}/disable`);
    /// kept across reloads while the tenant still lists the plugin.
    private var disabled: [String: Set<String>] = [:]

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

        // A disable outlives a reload while the tenant still lists the plugin and it is not its entry agent.
        var nextDisabled: [String: Set<String>] = [:]
        for tenant in next.tenants {
            let kept = (disabled[tenant.id] ?? []).filter { tenant.plugins.contains($0) && $0 != tenant.entryAgent }
            if !kept.isEmpty { nextDisabled[tenant.id] = kept }
        }
        var nextServed: [ServedTenant] = []
        var built: [TenantRuntime] = []
        for tenant in next.tenants {
            let before = current.tenant(tenant.id)
            var changes = before.map { Self.differences($0, tenant, current, next, catalog, nextCatalog) } ?? []
            if (nextDisabled[tenant.id] ?? []) != (disabled[tenant.id] ?? []) { changes.append("disabled plugins") }
            if let before, changes.isEmpty, let existing = served[before.id] {
                nextServed.append(existing)
                continue
            }
            do {
                let servedTenant = try build(tenant, in: next, catalog: nextCatalog, disabled: nextDisabled[tenant.id] ?? [])
                built.append(servedTenant.runtime)
                nextServed.append(servedTenant)
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
        if next.plugins.supervision != current.plugins.supervision { notApplied.append("plugins.supervision") }
        if !notApplied.isEmpty { lines.append("\(notApplied.joined(separator: " and ")) settings changed: they take effect at the next restart") }

        serve(nextServed, defaultTenant: next.defaultTenant, rebuildVoice: !built.isEmpty || next.tenants.count != current.tenants.count)
        for plugin in nextCatalog.loaded { everLoaded[plugin.sha256] = plugin }
        current = next
        catalog = nextCatalog
        disabled = nextDisabled
        return Outcome(applied: true, lines: lines.isEmpty ? ["nothing changed"] : lines)
    }

    /// One tenant's runtime from `configuration`, without the plugins in `disabled`.
    private func build(_ tenant: HostConfiguration.Tenant, in configuration: HostConfiguration, catalog: PluginCatalog,
                       disabled: Set<String>) throws(TenantRuntime.Problem) -> ServedTenant {
        var tenantConfiguration = configuration.tenantConfiguration(tenant)
        tenantConfiguration.plugins.removeAll { disabled.contains($0) }
        let runtime = try TenantRuntime(configuration: tenantConfiguration, catalog: catalog, services: services)
        return ServedTenant(runtime: runtime, apiKeyHashes: tenant.apiKeyHashes,
                            maxConcurrentSessions: tenant.limits.maxConcurrentSessions,
                            maxSessionsPerCaller: tenant.limits.maxSessionsPerCaller,
                            voice: TenantVoice(configured: tenant))
    }

    /// Hands `tenants` to the server (queue; waits for the loop to take them). Speech models are
    /// per tenant: rebuilt here, off the loop, when `rebuildVoice`.
    private func serve(_ tenants: [ServedTenant], defaultTenant: String, rebuildVoice: Bool) {
        var rebuiltVoice: VoiceServices?? = .none
        if rebuildVoice {
            rebuiltVoice = .some(HostRunner.voiceServices(for: tenants, http: services.http))
        }
        let voice = rebuiltVoice
        // The replaced tenants' instances are destroyed where plugins are called: on the loop,
        // once the last session using them has ended (each session holds its runtime).
        let retired = LockedValue(Array(served.values))
        served = Dictionary(tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        server.peers?.replaceTenantsOnPeers(tenants, defaultTenant: defaultTenant, voice: voice)
        let applied = DispatchSemaphore(value: 0)
        server.loop.execute { [server] in
            server.replaceTenants(tenants, defaultTenant: defaultTenant)
            if case .some(let services) = voice { server.voice = services }
            retired.set([])
            applied.signal()
        }
        applied.wait()
    }

    /// What an enable or disable did: the HTTP status and a JSON body saying so (or what to do).
    public struct Toggle: Sendable {
        public let status: Int
        public let json: String
    }

    /// `POST /admin/v1/tenants/{tenant}/plugins/{plugin}/disable|enable`: rebuilds the tenant
    /// without (or with) the plugin for new sessions; live sessions finish on the runtime they
    /// have. 404 unknown tenant or a plugin the tenant does not list; 409 the entry agent.
    public func setPlugin(_ plugin: String, of tenantID: String, enabled: Bool, requestedBy who: String,
                          done: @escaping @Sendable (Toggle) -> Void) {
        queue.async { [self] in
            let action = enabled ? "enable" : "disable"
            func answer(_ status: Int, _ fields: [String: Any]) {
                let level: Logger.Level = status < 300 ? .info : .warning
                services.logger.log(level, "admin", "\(action) \(plugin) for tenant \(tenantID) (requested by \(who)): \(status) \(fields["error"] ?? fields["result"] ?? "")")
                done(Toggle(status: status, json: JSONText.render(fields)))
            }
            guard let tenant = current.tenant(tenantID) else {
                return answer(404, ["error": "unknown tenant '\(tenantID)': GET /admin/v1/tenants lists them"])
            }
            guard tenant.plugins.contains(plugin) else {
                return answer(404, ["error": "tenant '\(tenantID)' does not have plugin '\(plugin)': its plugins are \(tenant.plugins.joined(separator: ", "))"])
            }
            if !enabled, plugin == tenant.entryAgent {
                return answer(409, ["error": "'\(plugin)' is tenant '\(tenantID)'s entry agent and cannot be disabled: change entry_agent in the configuration and reload first"])
            }
            var set = disabled[tenantID] ?? []
            guard enabled ? set.contains(plugin) : !set.contains(plugin) else {
                return answer(200, ["tenant": tenantID, "plugin": plugin, "enabled": enabled, "result": "already \(action)d", "disabled": set.sorted()])
            }
            if enabled { set.remove(plugin) } else { set.insert(plugin) }
            let servedTenant: ServedTenant
            do { servedTenant = try build(tenant, in: current, catalog: catalog, disabled: set) } catch {
                return answer(409, ["error": "tenant '\(tenantID)' cannot serve with \(plugin) \(action)d: \(error); nothing changed"])
            }
            disabled[tenantID] = set.isEmpty ? nil : set
            var tenants = Array(served.values.filter { $0.id != tenantID })
            tenants.append(servedTenant)
            serve(tenants, defaultTenant: current.defaultTenant, rebuildVoice: true)
            answer(200, ["tenant": tenantID, "plugin": plugin, "enabled": enabled,
                         "result": "\(action)d for new sessions; live sessions finish on the plugins they started with", "disabled": set.sorted()])
        }
    }

    /// `GET /admin/v1/plugins`: every plugin file loaded since start (the current catalog and
    /// older builds live sessions still run), with isolation, runners, tenants and live sessions.
    public func pluginReport(_ done: @escaping @Sendable (String) -> Void) {
        queue.async { [self] in
            let runners = services.runners.states
            let live = server.loop.submitAndWait { [server] in server.liveSessionsByPluginFile() } ?? [:]
            let runtimes = served.values.map(\.runtime)
            let files = Array(everLoaded.values).sorted { ($0.sourcePath, $0.sha256) < ($1.sourcePath, $1.sha256) }
            done(PluginReport.json(catalog, files: files.compactMap { plugin -> [String: Any]? in
                let using = runtimes.filter { $0.pluginFiles.values.contains(plugin.sha256) }
                let fileRunners = runners.filter { $0.path == plugin.path }
                let serving = catalog.loaded.contains { $0.sha256 == plugin.sha256 }
                let liveCount = live[plugin.sha256] ?? 0
                // Older builds with no session left are not worth a line.
                guard serving || liveCount > 0 || !fileRunners.isEmpty else { return nil }
                let isolatedTenants = using.filter { runtime in
                    runtime.isolatedComponents.contains { runtime.pluginFiles[$0] == plugin.sha256 }
                }.map(\.id)
                return ["path": plugin.sourcePath, "file": plugin.fileName, "sha256": plugin.sha256, "loaded_copy": plugin.path,
                        "serving_new_sessions": serving,
                        "versions": Dictionary(plugin.components.map { ($0.id, $0.version ?? "") }, uniquingKeysWith: { first, _ in first }),
                        "tenants": using.map(\.id).sorted(),
                        "isolation": isolatedTenants.isEmpty ? (fileRunners.isEmpty ? "in-process" : "process")
                                     : (isolatedTenants.count == using.count ? "process" : "mixed"),
                        "isolated_tenants": isolatedTenants.sorted(),
                        "runners": fileRunners.sorted { $0.tenant < $1.tenant }.map { runner -> [String: Any] in
                            var entry: [String: Any] = ["tenant": runner.tenant, "restarts": runner.restarts]
                            entry["pid"] = runner.pid.map { Int($0) } ?? NSNull()
                            if let reason = runner.failedReason { entry["failed"] = reason }
                            return entry
                        },
                        "live_sessions": liveCount]
            }))
        }
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
