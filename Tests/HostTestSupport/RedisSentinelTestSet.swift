import Foundation
import Glibc
import Host
import TestSupport

/// A real Redis Sentinel set-up on free loopback ports, owned by one test: one master, one replica
/// and three sentinels (quorum 2), all `redis-server` processes (`--sentinel` mode for the
/// sentinels). Short timeouts (down after 1 s) so a failover takes seconds. Everything is killed
/// in `deinit` / `stopAll()`.
public final class RedisSentinelTestSet {
    public let masterName = "mymaster"
    public let directory: String
    /// The two data servers: index 0 starts as master, 1 as its replica.
    public let dataPorts: [Int]
    public let sentinelPorts: [Int]
    private var processes: [Int: Process] = [:]

    public init() throws {
        directory = NSTemporaryDirectory() + "redis-sentinel-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var ports: [Int] = []
        while ports.count < 5 {
            let port = try LoopbackPort.free()
            if !ports.contains(port) { ports.append(port) }
        }
        dataPorts = Array(ports[0..<2])
        sentinelPorts = Array(ports[2..<5])
    }

    deinit {
        stopAll()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `[127.0.0.1:p, …]` for `redis.sentinels`.
    public var sentinelList: [String] { sentinelPorts.map { "127.0.0.1:\($0)" } }

    /// Starts master, replica and sentinels and waits until the sentinels see the replica and
    /// each other (a failover needs both).
    public func start() throws {
        try startMasterAndReplica()
        for port in sentinelPorts { try startSentinel(port) }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let ready = sentinelPorts.allSatisfy { port in
                let fields = (try? cli(port, ["SENTINEL", "master", masterName])) ?? ""
                return value(of: "num-slaves", in: fields) == "1" && value(of: "num-other-sentinels", in: fields) == "2"
            }
            if ready { return }
            usleep(100_000)
        }
        throw RedisTestServer.Failure(description: "sentinels did not discover the replica and each other within 20 s")
    }

    /// Starts the data servers only: `dataPorts[0]` a master, `dataPorts[1]` its replica.
    public func startMasterAndReplica() throws {
        try startData(dataPorts[0], replicaOf: nil)
        try startData(dataPorts[1], replicaOf: dataPorts[0])
    }

    /// Starts (or restarts) a data server on its port; `replicaOf` nil: a master.
    public func startData(_ port: Int, replicaOf master: Int?) throws {
        var arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--daemonize", "no", "--dir", directory, "--dbfilename", "dump-\(port).rdb",
                         "--logfile", directory + "/redis-\(port).log"]
        if let master { arguments += ["--replicaof", "127.0.0.1", String(master)] }
        try launch(port, arguments)
    }

    private func startSentinel(_ port: Int) throws {
        let config = directory + "/sentinel-\(port).conf"
        let text = """
            port \(port)
            bind 127.0.0.1
            daemonize no
            logfile \(directory)/sentinel-\(port).log
            dir \(directory)
            sentinel monitor \(masterName) 127.0.0.1 \(dataPorts[0]) 2
            sentinel down-after-milliseconds \(masterName) 1000
            sentinel failover-timeout \(masterName) 4000
            sentinel parallel-syncs \(masterName) 1

            """
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        try launch(port, [config, "--sentinel"])
    }

    private func launch(_ port: Int, _ arguments: [String]) throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        child.arguments = arguments
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        processes[port] = child
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? cli(port, ["PING"])) == "PONG" { return }
            guard child.isRunning else { break }
            usleep(20_000)
        }
        throw RedisTestServer.Failure(description: "redis-server \(arguments) on port \(port) did not start")
    }

    /// SIGKILL one server (a master dying mid-load).
    public func kill(_ port: Int) {
        guard let child = processes.removeValue(forKey: port) else { return }
        if child.isRunning { Glibc.kill(child.processIdentifier, SIGKILL) }
        child.waitForExit()
    }

    public func stopAll() {
        for port in Array(processes.keys) { kill(port) }
    }

    /// The master's port as sentinel `index` sees it now.
    public func masterPort(askingSentinel index: Int = 0) -> Int? {
        guard let text = try? cli(sentinelPorts[index], ["SENTINEL", "get-master-addr-by-name", masterName]) else { return nil }
        return text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `redis-cli -p PORT args…`, trimmed stdout.
    public func cli(_ port: Int, _ args: [String]) throws -> String {
        let result = try ProcessRunner.run("/usr/bin/redis-cli", ["-p", String(port)] + args)
        guard result.status == 0 else { throw RedisTestServer.Failure(description: "redis-cli -p \(port) \(args): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `redis-cli` prints a field list one item a line: the line after `name`.
    private func value(of name: String, in fields: String) -> String? {
        let lines = fields.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let index = lines.firstIndex(of: name), index + 1 < lines.count else { return nil }
        return lines[index + 1]
    }

    /// The tail of one server's log, for failure messages.
    public func log(_ port: Int) -> String {
        let path = sentinelPorts.contains(port) ? "\(directory)/sentinel-\(port).log" : "\(directory)/redis-\(port).log"
        return String(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").suffix(2000))
    }
}
