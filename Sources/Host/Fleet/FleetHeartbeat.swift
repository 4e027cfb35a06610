import Foundation
import HostNet
import HostServer
import HostSessions
import HostSupport

/// Publishes this host's `FleetMember` record in Redis every `intervalMilliseconds` with a TTL of
/// three intervals (docs/scaling.md): a host that dies drops out of `agent-host fleet status` by
/// itself; one that drains says `draining: true`; one that exits deletes its record.
///
/// Why on a loop timer: the facts (session count, draining, tenants) are loop-thread state, and
/// gathering them is a handful of reads every two seconds, far from any session's hot path. The
/// write is one `SET … PX` through the session store's connection: no second connection per host,
/// and with sentinels it follows the master like the records do. A failed write is only logged:
/// the next tick writes again.
public final class FleetHeartbeat: @unchecked Sendable {
    // @unchecked: `timer`, `stopped` and `lastFailure` are touched only on the server's loop thread.
    public let hostID: String
    public let address: String
    public let intervalMilliseconds: UInt64
    private let server: HostServer
    private let connection: RedisConnection
    private let startedAt = SessionRecord.timeText(Date())
    private var timer: LoopTimer?
    private var stopped = false
    private var lastFailure: String?

    /// How often a host publishes: also how long `FleetPeersCache` keeps what it read.
    public static let defaultIntervalMilliseconds: UInt64 = 2000

    public init(server: HostServer, connection: RedisConnection, hostID: String, address: String,
                intervalMilliseconds: UInt64 = FleetHeartbeat.defaultIntervalMilliseconds) {
        self.server = server
        self.connection = connection
        self.hostID = hostID
        self.address = address
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// The default id: this machine's name and the port, unique per host process on a machine.
    public static func defaultHostID(port: Int) -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "host"
        return "\(host)-\(port)"
    }

    /// [thread-safe] Starts publishing (the first record at once).
    public func start() {
        server.loop.execute { [self] in
            guard timer == nil, !stopped else { return }
            let tick = LoopTimer(loop: server.loop)
            timer = tick
            tick.start(after: 0, repeat: intervalMilliseconds) { [self] in publish() }
        }
    }

    /// [thread-safe] Stops publishing and deletes the record; `completion` runs once Redis
    /// answered (or failed: the TTL removes it then).
    public func stop(completion: @escaping @Sendable () -> Void) {
        let accepted = server.loop.execute { [self] in
            stopped = true
            timer?.close()
            timer = nil
            connection.send(["DEL", FleetMember.key(hostID)]) { _ in completion() }
        }
        if !accepted { completion() }
    }

    /// Loop thread.
    private func publish() {
        guard !stopped else { return }
        let facts = server.fleetFacts()
        let member = FleetMember(hostID: hostID, address: address, version: HostInfo.version, build: ExecutableBuildID.current,
                                 loops: server.peers?.servers.count ?? 1,
                                 activeSessions: facts.active, capacity: facts.capacity, draining: facts.draining,
                                 tenants: facts.tenants, startedAt: startedAt, updatedAt: SessionRecord.timeText(Date()))
        guard let json = try? member.jsonText() else { return }
        let ttl = String(intervalMilliseconds * 3)
        connection.send(["SET", FleetMember.key(hostID), json, "PX", ttl]) { [self] result in
            let failure: String?
            switch result {
            case .success(.error(let message)): failure = message
            case .success: failure = nil
            case .failure(let error): failure = "\(error)"
            }
            if let failure, lastFailure == nil {
                Logger.shared.log(.warning, "fleet", "heartbeat not published (\(failure)); retrying every \(intervalMilliseconds) ms")
            } else if failure == nil, lastFailure != nil {
                Logger.shared.log(.info, "fleet", "heartbeat published again")
            }
            lastFailure = failure
        }
    }
}
