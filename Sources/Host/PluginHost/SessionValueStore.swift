import Synchronization

/// Backs "agent_host.session-kv/1": values per (session, plugin, key), dropped with the session.
public final class SessionValueStore: Sendable {
    public static let maximumValueBytes = 64 * 1024

    private let values = Mutex<[String: [String: String]]>([:])

    public init() {}

    private static func namespace(_ session: String, _ plugin: String) -> String { session + "\u{1F}" + plugin }

    public func get(session: String, plugin: String, key: String) -> String? {
        values.withLock { $0[Self.namespace(session, plugin)]?[key] }
    }

    public func set(session: String, plugin: String, key: String, value: String) -> Bool {
        guard value.utf8.count <= Self.maximumValueBytes else { return false }
        values.withLock { $0[Self.namespace(session, plugin), default: [:]][key] = value }
        return true
    }

    public func remove(session: String, plugin: String, key: String) {
        values.withLock { _ = $0[Self.namespace(session, plugin)]?.removeValue(forKey: key) }
    }

    /// Drops everything a session stored (called when the session ends).
    public func drop(session: String) {
        let prefix = session + "\u{1F}"
        values.withLock { all in
            for key in all.keys where key.hasPrefix(prefix) { all.removeValue(forKey: key) }
        }
    }
}
