import Foundation
import HostOrchestration
import HostPlugins
import Yams

extension HostConfiguration {
    static let topKeys = ["server", "redis", "plugins", "default_tenant", "tenants", "admin", "console", "sip", "telemetry"]
    static let adminKeys = ["host", "port", "api_keys"]
    static let serverKeys = ["host", "port", "loops", "max_sessions", "drain_deadline_seconds", "lost_call_sweep_seconds", "limits"]
    static let serverLimitKeys = ["max_header_bytes", "max_body_bytes", "max_ws_message_bytes", "max_turn_text_bytes", "idle_timeout_ms",
                                  "session_idle_timeout_ms", "header_timeout_ms", "max_connections", "max_connections_per_client"]
    static let redisKeys = ["url", "command_timeout_ms", "journal_path", "sentinels", "master_name", "database", "password", "replica_acks"]
    static let pluginKeys = ["directories", "extensions", "isolation", "max_memory_mb", "supervision", "cache_directory", "allow_insecure_files", "trusted_keys", "require_signature"]
    static let tenantKeys = ["id", "api_keys", "plugins", "entry_agent", "settings", "limits", "turn_detection", "voice", "extensions", "model", "messages", "telemetry"] + telephonyTenantKeys
    static let tenantLimitKeys = ["max_concurrent_sessions", "max_sessions_per_caller", "max_handoffs_per_turn",
                                  "max_tool_calls_per_turn", "step_timeout_ms"]
    static let turnDetectionKeys = ["threshold", "prefix_padding_ms", "silence_ms", "mode", "min_silence_ms", "max_silence_ms", "prosody", "backchannels"]

    /// Reads and validates the YAML file at `path`. Relative paths written in the file
    /// (plugin directories, journal path) are taken from the file's directory.
    /// `${VAR}` in settings strings and in `redis.url` come from `environment`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> HostConfiguration {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError(file: path, at: nil, "no such configuration file")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, at: nil, "cannot read the configuration file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, at: nil, "the configuration file is not UTF-8 text")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(text, file: path, baseDirectory: directory.isEmpty ? "." : directory, environment: environment)
    }

    /// Validates configuration text. `file` names it in errors; `baseDirectory` (nil: the working
    /// directory) is where relative paths written in it are taken from.
    public static func parse(_ yaml: String, file: String = "<configuration>", baseDirectory: String? = nil,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> HostConfiguration {
        let reader = ConfigurationReader(file: file, environment: environment)
        guard let root = try reader.compose(yaml), !ConfigurationReader.isNull(root) else {
            throw ConfigurationError(file: file, line: 1, column: 1, message: "the configuration is empty (it needs at least tenants:)")
        }
        let top = try ConfigurationMapping(root, scope: .top, allowed: topKeys, reader: reader)

        func path(_ written: String) -> String {
            guard let baseDirectory, !written.hasPrefix("/"), baseDirectory != "." else { return written }
            return (baseDirectory as NSString).appendingPathComponent(written)
        }

        let server = try parseServer(top.mapping("server", allowed: serverKeys))
        let redis = try parseRedis(top.mapping("redis", allowed: redisKeys), path: path)
        let plugins = try parsePlugins(top.mapping("plugins", allowed: pluginKeys), environment: environment, path: path)

        guard let tenantsNode = top.value("tenants") else {
            throw top.fail("tenants", "at least one tenant is required (tenants: - id: ...)")
        }
        guard case .sequence(let tenantNodes) = tenantsNode else {
            throw top.fail(at: tenantsNode, "tenants", "must be a list of tenants, got \(ConfigurationReader.show(tenantsNode))")
        }
        guard !tenantNodes.isEmpty else { throw top.fail(at: tenantsNode, "tenants", "at least one tenant is required") }
        var tenants: [Tenant] = []
        var firstLine: [String: Int] = [:]
        for (index, node) in tenantNodes.enumerated() {
            let (tenant, idNode) = try parseTenant(node, index: index, reader: reader, baseDirectory: baseDirectory, isolation: plugins.isolation)
            if let line = firstLine[tenant.id] {
                throw reader.error(idNode, "duplicate tenant id \"\(tenant.id)\" (first at line \(line))")
            }
            firstLine[tenant.id] = ConfigurationReader.location(of: idNode)?.line ?? 0
            tenants.append(tenant)
        }

        let defaultTenant: String
        if let id = try top.string("default_tenant") {
            guard tenants.contains(where: { $0.id == id }) else {
                let known = tenants.map { "\"\($0.id)\"" }.joined(separator: ", ")
                throw top.fail("default_tenant", "\"\(id)\" is not one of the tenants (\(known))")
            }
            defaultTenant = id
        } else if tenants.count == 1 {
            defaultTenant = tenants[0].id
        } else {
            throw reader.error(root, "default_tenant is required when there are several tenants")
        }

        var configuration = HostConfiguration(file: file, server: server, redis: redis, plugins: plugins,
                                              defaultTenant: defaultTenant, tenants: tenants)
        configuration.admin = try parseAdmin(top.mapping("admin", allowed: adminKeys), top: top)
        configuration.sip = try parseSIP(top.mapping("sip", allowed: sipKeys), tenants: tenants)
        // `console: {enabled, api_keys}` (docs/console.md): off switches /console and /console/playground
        // off; api_keys are operator keys for the console beside admin.api_keys.
        if let console = try top.mapping("console", allowed: ["enabled", "api_keys"]) {
            if let enabled = try console.bool("enabled") { configuration.consoleEnabled = enabled }
            for key in try console.stringList("api_keys") ?? [] {
                guard APIKeys.isValidHash(key.value) else {
                    throw console.fail(at: key.node, "api_keys", "not a key hash: store \"sha256:\" and 64 hex digits, as printed by `agent-host hash-key KEY`")
                }
                configuration.consoleKeyHashes.append(key.value.lowercased())
            }
        }
        configuration.telemetry = try parseTelemetry(top.mapping("telemetry", allowed: telemetryKeys))
        return configuration
    }

    private static func parseAdmin(_ section: ConfigurationMapping?, top: ConfigurationMapping) throws(ConfigurationError) -> Admin? {
        guard let section else { return nil }
        var admin = Admin()
        if let host = try section.string("host") {
            guard isIPAddress(host) else { throw section.fail("host", "\"\(host)\" is not an IP address (e.g. 127.0.0.1; names are not resolved)") }
            admin.host = host
        }
        if let port = try section.int("port", in: 0...65_535) { admin.port = port }
        for key in try section.stringList("api_keys") ?? [] {
            guard APIKeys.isValidHash(key.value) else {
                throw section.fail(at: key.node, "api_keys", "not a key hash: store \"sha256:\" and 64 hex digits, as printed by `agent-host hash-key KEY`")
            }
            if !admin.apiKeyHashes.contains(key.value.lowercased()) { admin.apiKeyHashes.append(key.value.lowercased()) }
        }
        guard !admin.apiKeyHashes.isEmpty else {
            throw top.fail("admin", "api_keys needs at least one key hash (`agent-host hash-key KEY`): the admin listener never runs without keys")
        }
        return admin
    }

    // MARK: - sections

    private static func parseServer(_ section: ConfigurationMapping?) throws(ConfigurationError) -> Server {
        var server = Server()
        guard let section else { return server }
        if let host = try section.string("host") {
            guard isIPAddress(host) else {
                throw section.fail("host", "\"\(host)\" is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::1; names are not resolved)")
            }
            server.host = host
        }
        if let port = try section.int("port", in: 0...65_535) { server.port = port }
        if let cap = try section.int("max_sessions", in: 1...1_000_000) { server.maxSessions = cap }
        server.loops = try parseLoops(section)
        if let seconds = try section.int("drain_deadline_seconds", in: 0...3_600) { server.drainDeadlineSeconds = seconds }
        if let seconds = try section.int("lost_call_sweep_seconds", in: 0...86_400) { server.lostCallSweepSeconds = seconds }
        if let limits = try section.mapping("limits", allowed: serverLimitKeys) {
            if let bytes = try limits.int("max_header_bytes", in: 1_024...1_048_576) { server.maxHeaderBytes = bytes }
            if let bytes = try limits.int("max_body_bytes", in: 1_024...67_108_864) { server.maxBodyBytes = bytes }
            if let bytes = try limits.int("max_ws_message_bytes", in: 1_024...67_108_864) { server.maxWebSocketMessageBytes = bytes }
            if let bytes = try limits.int("max_turn_text_bytes", in: 64...1_048_576) { server.maxTurnTextBytes = bytes }
            if let ms = try limits.int("idle_timeout_ms", in: 100...3_600_000) { server.idleTimeoutMilliseconds = UInt64(ms) }
            if let ms = try limits.int("session_idle_timeout_ms", in: 1_000...86_400_000) { server.sessionIdleTimeoutMilliseconds = UInt64(ms) }
            if let ms = try limits.int("header_timeout_ms", in: 100...600_000) { server.headerTimeoutMilliseconds = UInt64(ms) }
            if let cap = try limits.int("max_connections", in: 1...1_000_000) { server.maxConnections = cap }
            if let cap = try limits.int("max_connections_per_client", in: 1...1_000_000) {
                guard cap <= server.maxConnections else {
                    throw limits.fail("max_connections_per_client", "\(cap) is above max_connections (\(server.maxConnections)): "
                                      + "lower it, or raise max_connections")
                }
                server.maxConnectionsPerClient = cap
            } else {
                // Unset: the default, but never above a lower max_connections.
                server.maxConnectionsPerClient = min(server.maxConnectionsPerClient, server.maxConnections)
            }
        }
        return server
    }

    private static func parseRedis(_ section: ConfigurationMapping?, path: (String) -> String) throws(ConfigurationError) -> Redis {
        var redis = Redis()
        guard let section else { return redis }
        if let written = try section.string("url"), let node = section.value("url") {
            let url = try section.reader.substitute(written, at: node) { section.scope.message("url", $0) }
            if !url.isEmpty {
                guard url.hasPrefix("redis://") || url.hasPrefix("unix://") else {
                    throw section.fail("url", "must start with redis:// or unix:// (e.g. redis://127.0.0.1:6379/0)")
                }
                redis.url = url
            }
        }
        if let ms = try section.int("command_timeout_ms", in: 10...60_000) { redis.commandTimeoutMilliseconds = UInt64(ms) }
        if let journal = try section.string("journal_path") {
            guard !journal.isEmpty else { throw section.fail("journal_path", "must not be empty") }
            redis.journalPath = path(journal)
        }
        try parseSentinels(section, into: &redis)
        return redis
    }

    private static func parsePlugins(_ section: ConfigurationMapping?, environment: [String: String],
                                     path: (String) -> String) throws(ConfigurationError) -> Plugins {
        var plugins = Plugins(directories: PluginLoader.defaultDirectories(environment: environment))
        guard let section else { return plugins }
        if let directories = try section.stringList("directories") {
            guard !directories.isEmpty else { throw section.fail("directories", "must list at least one directory (leave it out for the default)") }
            var resolved: [String] = []
            for directory in directories {
                guard !directory.value.isEmpty else { throw section.fail(at: directory.node, "directories", "must not be empty") }
                resolved.append(path(directory.value))
            }
            plugins.directories = resolved
        }
        plugins.extensions = try extensionSet(section)
        if let cache = try section.string("cache_directory") {
            guard !cache.isEmpty else { throw section.fail("cache_directory", "must not be empty (leave it out for the system temp directory)") }
            plugins.cacheDirectory = path(cache)
        }
        if let allow = try section.bool("allow_insecure_files") { plugins.allowInsecureFiles = allow }
        for key in try section.stringList("trusted_keys") ?? [] {
            do { plugins.trustedKeys.append(try PluginSignature.PublicKey(path: path(key.value))) } catch {
                throw section.fail(at: key.node, "trusted_keys", error.description)
            }
        }
        if let required = try section.bool("require_signature") {
            guard !required || !plugins.trustedKeys.isEmpty else {
                throw section.fail("require_signature", "needs at least one key in trusted_keys (an Ed25519 public key PEM file)")
            }
            plugins.requireSignature = required
        }
        plugins.isolation = try parseIsolation(section, default: plugins.isolation)
        plugins.supervision = try parseSupervision(section)
        return plugins
    }

    private static func extensionSet(_ mapping: ConfigurationMapping) throws(ConfigurationError) -> Set<String>? {
        guard let list = try mapping.stringList("extensions") else { return nil }
        var set: Set<String> = []
        for item in list {
            guard DescriptorValidator.isExtensionID(item.value) else {
                throw mapping.fail(at: item.node, "extensions", "\"\(item.value)\" is not an extension id like agent_host.http/1")
            }
            set.insert(item.value)
        }
        return set
    }

    // MARK: - tenants

    /// One tenant and the node of its id (to locate a duplicate).
    private static func parseTenant(_ node: Node, index: Int, reader: ConfigurationReader, baseDirectory: String?,
                                    isolation: PluginIsolation) throws(ConfigurationError) -> (Tenant, Node) {
        // The tenant's id names it in every later message, so read it before checking the keys.
        var owner = "tenants[\(index)]"
        if case .mapping(let raw) = node, let idNode = raw["id"], case .scalar(let scalar) = idNode, isTenantID(scalar.string) {
            owner = "tenant \"\(scalar.string)\""
        }
        let entry = try ConfigurationMapping(node, scope: ConfigurationScope(owner: owner), allowed: tenantKeys, reader: reader)

        let id = try entry.requiredString("id")
        guard isTenantID(id) else {
            throw entry.fail("id", "\"\(id)\" must be lowercase letters, digits and '-', start with a letter or digit, at most 63 characters")
        }

        var hashes: [String] = []
        for key in try entry.stringList("api_keys") ?? [] {
            // The value is not echoed: an operator who pasted a raw key should not see it in logs.
            guard APIKeys.isValidHash(key.value) else {
                throw entry.fail(at: key.node, "api_keys",
                                 "not a key hash: store \"sha256:\" and 64 hex digits, as printed by `agent-host hash-key KEY`")
            }
            let hash = key.value.lowercased()
            if !hashes.contains(hash) { hashes.append(hash) }
        }

        let (plugins, locations, isolations, pins) = try parsePluginEntries(entry, default: isolation)

        let entryAgent = try entry.requiredString("entry_agent")
        guard plugins.contains(entryAgent) else {
            throw entry.fail(at: entry.value("entry_agent") ?? node, nil, "entry_agent \"\(entryAgent)\" is not in its plugins")
        }

        var settings: [String: String] = [:]
        if let settingsNode = entry.value("settings") {
            guard case .mapping(let mapping) = settingsNode else {
                throw entry.fail(at: settingsNode, "settings", "must map component ids to their settings, got \(ConfigurationReader.show(settingsNode))")
            }
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw entry.fail(at: key, "settings", "keys must be component ids, got \(ConfigurationReader.show(key))")
                }
                let component = keyScalar.string
                guard settings[component] == nil else {
                    throw entry.fail(at: key, "settings", "\"\(component)\" appears twice")
                }
                guard plugins.contains(component) else {
                    throw entry.fail(at: key, "settings", "\"\(component)\" is not in its plugins")
                }
                guard case .mapping = value else {
                    throw entry.fail(at: value, "settings", "\"\(component)\" must be a mapping of settings (e.g. {} for none), got \(ConfigurationReader.show(value))")
                }
                let json = try reader.json(value) { entry.scope.message("settings", "\"\(component)\": \($0)") }
                settings[component] = json.serialized
            }
        }

        var limits = Tenant.Limits()
        if let section = try entry.mapping("limits", allowed: tenantLimitKeys) {
            if let n = try section.int("max_concurrent_sessions", in: 1...1_000_000) { limits.maxConcurrentSessions = n }
            if let n = try section.int("max_sessions_per_caller", in: 1...1_000) { limits.maxSessionsPerCaller = n }
            if let n = try section.int("max_handoffs_per_turn", in: 0...100) { limits.maxHandoffsPerTurn = n }
            if let n = try section.int("max_tool_calls_per_turn", in: 0...1_000) { limits.maxToolCallsPerTurn = n }
            if let ms = try section.int("step_timeout_ms", in: 100...600_000) { limits.stepTimeoutMilliseconds = UInt64(ms) }
        }

        var turnDetection = TurnDetection()
        if let section = try entry.mapping("turn_detection", allowed: turnDetectionKeys) {
            if let threshold = try section.double("threshold", in: 0...1) { turnDetection.threshold = threshold }
            if let ms = try section.int("prefix_padding_ms", in: 0...2_000) { turnDetection.prefixPaddingMilliseconds = ms }
            if let ms = try section.int("silence_ms", in: 100...10_000) { turnDetection.silenceMilliseconds = ms }
            try parseSemanticTurns(section, into: &turnDetection)
        }

        let voice = try parseVoice(entry.mapping("voice", allowed: voiceKeys), baseDirectory: baseDirectory)

        var tenant = Tenant(id: id, apiKeyHashes: hashes, plugins: plugins, entryAgent: entryAgent, settings: settings,
                            limits: limits, turnDetection: turnDetection, extensions: try extensionSet(entry),
                            pluginLocations: locations, location: ConfigurationReader.location(of: node))
        tenant.isolation = isolations
        tenant.pins = pins
        tenant.voice = voice
        tenant.model = try parseModel(entry.mapping("model", allowed: modelKeys), baseDirectory: baseDirectory)
        tenant.messages = try parseMessages(entry.mapping("messages", allowed: messageKeys))
        tenant.telephony = try parseTelephony(entry, baseDirectory: baseDirectory)
        tenant.telemetry = try parseTenantTelemetry(entry.mapping("telemetry", allowed: tenantTelemetryKeys))
        return (tenant, entry.value("id") ?? node)
    }

    static func isTenantID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func allowed(_ byte: UInt8) -> Bool { (97...122).contains(byte) || (48...57).contains(byte) }
        return allowed(bytes[0]) && bytes.dropFirst().allSatisfy { allowed($0) || $0 == UInt8(ascii: "-") }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
