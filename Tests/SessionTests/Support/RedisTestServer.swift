import Foundation
import Glibc
import Host
import TestSupport

/// A real redis-server on a free loopback port, owned by one test: started, stopped and
/// restarted (same port, same data directory) by the test, killed in tearDown.
final class RedisTestServer {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let port: Int
    /// Data directory: `stop(persist: true)` writes dump.rdb here and a restart loads it.
    let directory: String
    private var process: Process?

    var url: String { "redis://127.0.0.1:\(port)" }
    var socketPath: String { directory + "/redis.sock" }
    var pid: Int32? { process?.processIdentifier }

    init() throws {
        port = try Self.freePort()
        directory = NSTemporaryDirectory() + "redis-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func start() throws {
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
    func stop(persist: Bool = false) {
        guard let child = process else { return }
        if persist { _ = try? cli("SHUTDOWN", "SAVE") } else { child.terminate() }
        child.waitUntilExit()
        process = nil
    }

    /// SIGKILL, for tearDown.
    func kill() {
        guard let child = process else { return }
        if child.isRunning { Glibc.kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        process = nil
    }

    /// Freezes / thaws the server (it keeps its socket but answers nothing).
    func pause() { if let pid { Glibc.kill(pid, SIGSTOP) } }
    func resume() { if let pid { Glibc.kill(pid, SIGCONT) } }

    /// `redis-cli -p PORT args...`, trimmed stdout: an independent client to check what is stored.
    @discardableResult
    func cli(_ args: String...) throws -> String {
        try cli(args)
    }

    func cli(_ args: [String]) throws -> String {
        let result = try ProcessRunner.run("/usr/bin/redis-cli", ["-p", String(port)] + args)
        guard result.status == 0 else { throw Failure(description: "redis-cli \(args) failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A port nobody listens on right now.
    static func freePort() throws -> Int {
        try LoopbackPort.free()
    }
}

/// A loopback TCP listener that never accepts and never answers: the kernel completes the
/// handshake from the backlog, so a client connects and then hears nothing.
final class SilentTCPServer {
    let port: Int
    private var fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { close(fd); throw RedisTestServer.Failure(description: "silent server setup failed") }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes the listener: connections still in its accept queue are reset (RST).
    func shutdown() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { shutdown() }
}
