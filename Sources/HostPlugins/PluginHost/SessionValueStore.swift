import Synchronization

/// Backs "agent_host.session-kv/1": values per (session, plugin, key), dropped with the session.
/// Nested by session so ending one touches only its own values.
public final class SessionValueStore: Sendable {
    public static let maximumValueBytes = 64 * 1024

    /// session → plugin → key → value
    private let values = Mutex<[String: [String: [String: String]]]>([:])

    public init() {}

    public func get(session: String, plugin: String, key: String) -> String? {
        values.withLock { $0[session]?[plugin]?[key] }
    }

    public func set(session: String, plugin: String, key: String, value: String) -> Bool {
        guard value.utf8.count <= Self.maximumValueBytes else { return false }
        values.withLock { $0[session, default: [:]][plugin, default: [:]][key] = value }
        return true
    }

    public func remove(session: String, plugin: String, key: String) {
        values.withLock { _ = $0[session]?[plugin]?.removeValue(forKey: key) }
    }

    /// Drops everything a session stored (called when the session ends).
    public func drop(session: String) {
        values.withLock { _ = $0.removeValue(forKey: session) }
    }
}
