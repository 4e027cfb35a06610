import Foundation
import Glibc
import Host
import TestSupport

/// A real redis-server on a free loopback port, owned by one test: started, stopped and
/// restarted (same port, same data directory) by the test, killed in tearDown.
public final class RedisTestServer {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let port: Int
    /// Data directory: `stop(persist: true)` writes dump.rdb here and a restart loads it.
    public let directory: String
    private var process: Process?

    public var url: String { "redis://127.0.0.1:\(port)" }
    public var socketPath: String { directory + "/redis.sock" }
    public var pid: Int32? { process?.processIdentifier }

    public init() throws {
        port = try Self.freePort()
        directory = NSTemporaryDirectory() + "redis-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func start() throws {
        precondition(process == nil, "already running")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        child.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                           "--daemonize", "no", "--dir", directory, "--logfile", directory + "/redis.log",
                           "--unixsocket", socketPath, "--unixsocketperm", "700"]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        process = child
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? cli("PING")) == "PONG" { return }
            guard child.isRunning else { break }
            usleep(20_000)
        }
        let log = (try? String(contentsOfFile: directory + "/redis.log", encoding: .utf8)) ?? ""
        kill()
        throw Failure(description: "redis-server on port \(port) did not start:\n\(log.suffix(2000))")
    }

    /// Stops the server. With `persist`, through `SHUTDOWN SAVE` so a restart finds every write it
    /// acknowledged (the server runs without save points); otherwise SIGTERM (data gone).
    public func stop(persist: Bool = false) {
        guard let child = process else { return }
        if persist { _ = try? cli("SHUTDOWN", "SAVE") } else { child.terminate() }
        child.waitForExit()
        process = nil
    }

    /// SIGKILL, for tearDown.
    public func kill() {
        guard let child = process else { return }
        if child.isRunning { Glibc.kill(child.processIdentifier, SIGKILL) }
        child.waitForExit()
        process = nil
    }

    /// Freezes / thaws the server (it keeps its socket but answers nothing).
    public func pause() { if let pid { Glibc.kill(pid, SIGSTOP) } }
    public func resume() { if let pid { Glibc.kill(pid, SIGCONT) } }

    /// `redis-cli -p PORT args...`, trimmed stdout: an independent client to check what is stored.
    @discardableResult
    public func cli(_ args: String...) throws -> String {
        try cli(args)
    }

    public func cli(_ args: [String]) throws -> String {
        let result = try ProcessRunner.run("/usr/bin/redis-cli", ["-p", String(port)] + args)
        guard result.status == 0 else { throw Failure(description: "redis-cli \(args) failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every command the server runs while `body` runs, as `redis-cli MONITOR` prints them (one
    /// line each, arguments quoted): what a host wrote, not only what is left.
    public func monitor<T>(_ body: () async throws -> T) async throws -> (T, commands: [String]) {
        let log = directory + "/monitor-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        child.arguments = ["-p", String(port), "MONITOR"]
        child.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        child.standardError = FileHandle.nullDevice
        try child.run()
        defer { if child.isRunning { child.terminate() }; child.waitForExit() }
        // MONITOR answers OK once it is on; what comes before is not seen.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").isEmpty {
            _ = try? cli("PING")
            usleep(20_000)
        }
        let result = try await body()
        _ = try? cli("PING")
        usleep(100_000)
        return (result, ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init))
    }

    /// A port nobody listens on right now.
    public static func freePort() throws -> Int {
        try LoopbackPort.free()
    }
}

