import PluginABI

/// The host as a plugin instance sees it: a Swift face on the instance's `ah_host_t`.
/// Services the tenant is not granted are nil.
public struct PluginHost: @unchecked Sendable {
    // @unchecked: the host table is immutable for the instance's lifetime and every function
    // we call through it is [thread-safe] or documented for the thread we call it on.
    public let raw: UnsafePointer<ah_host_t>

    public enum LogLevel: Int32, Sendable {
        case debug = 0, info = 1, warning = 2, error = 3
    }

    public init(raw: UnsafePointer<ah_host_t>) {
        self.raw = raw
    }

    public var tenantID: String { String(cString: raw.pointee.tenant_id) }
    public var hostVersion: String { String(cString: raw.pointee.host_version) }
    public var abiVersion: (major: UInt16, minor: UInt16) { (raw.pointee.abi_major, raw.pointee.abi_minor) }

    public func log(_ level: LogLevel, _ message: String) {
        raw.pointee.log(raw, level.rawValue, message)
    }

    /// The raw service table for an extension id, or nil when not granted.
    public func extensionTable(_ id: String) -> UnsafeRawPointer? {
        raw.pointee.get_extension(raw, id)
    }

    /// Asynchronous HTTP through the host's event loop ("agent_host.http/1").
    public var http: HTTPClient? {
        extensionTable(AH_EXT_HTTP).map { HTTPClient(host: self, table: $0.assumingMemoryBound(to: ah_host_http_t.self)) }
    }

    /// Plugin metrics in the host's registry ("agent_host.metrics/1").
    public var metrics: Metrics? {
        extensionTable(AH_EXT_METRICS).map { Metrics(host: self, table: $0.assumingMemoryBound(to: ah_host_metrics_t.self)) }
    }

    /// Per-session key/value storage ("agent_host.session-kv/1").
    public var sessionStore: SessionStore? {
        extensionTable(AH_EXT_SESSION_KV).map { SessionStore(host: self, table: $0.assumingMemoryBound(to: ah_host_session_kv_t.self)) }
    }

    /// One-shot timers ("agent_host.timer/1").
    public var timers: Timers? {
        extensionTable(AH_EXT_TIMER).map { Timers(host: self, table: $0.assumingMemoryBound(to: ah_host_timer_t.self)) }
    }
}

/// Runs `body` with a C string array kept alive for the call (for (name, value) pairs).
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>]) throws -> R) rethrows -> R {
    let copies = strings.map { strdup($0)! }
    defer { copies.forEach { free($0) } }
    return try body(copies.map { UnsafePointer($0) })
}

import Glibc
