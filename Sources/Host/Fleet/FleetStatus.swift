import Dispatch
import Foundation
import HostNet
import HostSessions
import HostSupport

/// `agent-host fleet status --redis URL [--json]`: every host whose heartbeat record is in that
/// Redis now (docs/scaling.md). Reads with `SCAN` (never `KEYS`, which blocks a busy Redis) and
/// one `MGET`; a record that expired between the two is skipped.
public struct FleetStatus {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public let exitCode: Int32
    }

    public let url: RedisURL
    public var json = false

    public init(redisURL: String, json: Bool = false) throws(Failure) {
        do { url = try RedisURL(parsing: redisURL) } catch { throw Failure(description: "--redis: \(error)", exitCode: 2) }
        self.json = json
    }

    /// The fleet, sorted by host id (blocking: a command-line call, not for a loop thread).
    public func members() throws(Failure) -> [FleetMember] {
        let loop = EventLoop(name: "fleet-status")
        loop.start()
        defer { loop.stop() }
        var options = RedisConnection.Options()
        options.commandTimeoutMilliseconds = 3000
        options.connectTimeoutMilliseconds = 3000
        let connection = RedisConnection(url: url, loop: loop, options: options, logger: Logger(minimum: .error))
        connection.start()
        defer {
            let closed = DispatchSemaphore(value: 0)
            connection.close { closed.signal() }
            closed.wait()
        }
        var keys: [String] = []
        var cursor = "0"
        repeat {
            switch call(connection, ["SCAN", cursor, "MATCH", FleetMember.keyPrefix + "*", "COUNT", "1000"]) {
            case .success(.array(let parts)) where parts.count == 2:
                guard case .string(let next) = parts[0], case .array(let found) = parts[1] else {
                    throw Failure(description: "redis at \(url) answered SCAN with \(parts)", exitCode: 1)
                }
                cursor = next
                keys += found.compactMap { if case .string(let key) = $0 { return key } else { return nil } }
            case .success(let other):
                throw Failure(description: "redis at \(url) answered SCAN with \(other)", exitCode: 1)
            case .failure(let error):
                throw Failure(description: "cannot read the fleet from \(url): \(error)", exitCode: 1)
            }
        } while cursor != "0"
        guard !keys.isEmpty else { return [] }
        guard case .success(.array(let values)) = call(connection, ["MGET"] + keys) else {
            throw Failure(description: "cannot read the fleet's records from \(url)", exitCode: 1)
        }
        return values.compactMap { value -> FleetMember? in
            guard case .string(let text) = value else { return nil }
            return try? FleetMember.decode(text)
        }.sorted { $0.hostID < $1.hostID }
    }

    /// What the command prints: a table (or JSON lines with `json`).
    public func report() throws(Failure) -> String {
        let fleet = try members()
        if json { return fleet.compactMap { try? $0.jsonText() }.joined(separator: "\n") + (fleet.isEmpty ? "" : "\n") }
        guard !fleet.isEmpty else { return "no hosts in the fleet at \(url) (none has published a heartbeat in the last few seconds)\n" }
        var rows = [["HOST", "ADDRESS", "VERSION", "BUILD", "LOOPS", "SESSIONS", "STATE", "TENANTS", "UPDATED"]]
        for member in fleet {
            rows.append([member.hostID, member.address, member.version, member.build.map { String($0.prefix(12)) } ?? "-", String(member.loops),
                         "\(member.activeSessions)/\(member.capacity)", member.draining ? "draining" : "serving",
                         member.tenants.joined(separator: ","), member.updatedAt])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let lines = rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        let total = fleet.reduce(0) { $0 + $1.activeSessions }
        let serving = fleet.filter { !$0.draining }.count
        return lines.joined(separator: "\n") + "\n\(fleet.count) host(s), \(serving) serving, \(total) active session(s)\n"
    }

    private func call(_ connection: RedisConnection, _ args: [String]) -> Result<RedisReply, RedisError> {
        let box = LockedValue<Result<RedisReply, RedisError>>(.failure(.timeout))
        let done = DispatchSemaphore(value: 0)
        connection.send(args) { result in
            box.set(result)
            done.signal()
        }
        done.wait()
        return box.get()
    }
}
