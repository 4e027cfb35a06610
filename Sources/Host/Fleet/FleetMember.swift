import Foundation

/// One host's heartbeat record in Redis (docs/protocol.md §5): what `agent-host fleet status`
/// prints and what an operator's tooling may read. Stored as JSON under `key(hostID)` with a TTL,
/// so a host that dies disappears from the fleet within `ttl` without anyone deleting it.
public struct FleetMember: Codable, Sendable, Equatable {
    public var hostID: String
    /// Where the host serves (`http://host:port`).
    public var address: String
    public var version: String
    /// The executable's GNU build id (ExecutableBuildID): which build of `version` the host runs.
    /// Absent in records of hosts from before it was published.
    public var build: String? = nil
    /// Event loops serving sessions (1 until a loop per core lands).
    public var loops: Int
    public var activeSessions: Int
    /// `server.max_sessions`: sessions it takes before /ready answers 503.
    public var capacity: Int
    public var draining: Bool
    public var tenants: [String]
    public var startedAt: String
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case hostID = "host_id", address, version, build, loops, activeSessions = "active_sessions", capacity, draining,
             tenants, startedAt = "started_at", updatedAt = "updated_at"
    }

    public static let keyPrefix = "agent-host:fleet:"
    public static func key(_ hostID: String) -> String { keyPrefix + hostID }

    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> FleetMember {
        try JSONDecoder().decode(FleetMember.self, from: Data(text.utf8))
    }
}
