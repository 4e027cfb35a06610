import Foundation

/// A helper process the host starts for embedded defaults (support-backend, redis-server): runs
/// it, waits for the line that says it is ready, and stops it with SIGTERM.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: immutable after init; Process is only stopped through `stop()`.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let readyLine: String
    private let process: Process
    /// The child's pid (for /proc readings such as a benchmark's CPU columns).
    var processID: Int32 { process.processIdentifier }
    private let output: FileHandle

    init(executable: String, arguments: [String], readyMarker: String, timeout: TimeInterval, hint: String) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "\(executable) not found: \(hint)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        // A child inherits the spawning thread's signal mask; libdispatch's worker threads block
        // signals, so a child started from one never saw SIGTERM (measured: every stop hit the
        // SIGKILL timeout). Spawn with nothing blocked.
        var nothingBlocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&nothingBlocked)
        pthread_sigmask(SIG_SETMASK, &nothingBlocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
        let reader = output.fileHandleForReading
        self.output = reader
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = Data()
        var found: String?
        while found == nil, Date() < deadline, process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            found = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first { $0.contains(readyMarker) }.map(String.init)
        }
        guard let found else {
            process.terminate()
            throw Failure(description: "\((executable as NSString).lastPathComponent) did not report ready within \(Int(timeout)) s")
        }
        readyLine = found
        // Keep draining its output so a chatty child never blocks on a full pipe.
        reader.readabilityHandler = { handle in _ = handle.availableData }
    }

    /// SIGTERM, then up to 5 s for a clean exit, then SIGKILL. Reaps with waitpid itself:
    /// Foundation's waitUntilExit/isRunning depend on its run-loop machinery, which never saw the
    /// exit under XCTest's async tests (measured: every stop took the full timeout).
    func stop() {
        output.readabilityHandler = nil
        let pid = process.processIdentifier
        guard pid > 0, !exited(pid) else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while !exited(pid), Date() < deadline { usleep(2_000) }
        if !exited(pid) {
            kill(pid, SIGKILL)
            while !exited(pid) { usleep(2_000) }
        }
    }

    /// True once the child is gone (reaped here, or already reaped elsewhere: ECHILD).
    private func exited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result == -1 && errno == ECHILD)
    }

    static func temporaryDirectory(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        guard let path = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(description: "cannot create a temporary directory under /tmp")
        }
        return String(cString: path)
    }
}

/// Loopback ports for child processes and tests.
public enum LoopbackPort {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A TCP port on 127.0.0.1 nobody listens on right now (bind to 0, read it back, close).
    public static func free() throws(Failure) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw Failure(description: "bind(127.0.0.1:0) failed: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw Failure(description: "getsockname failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A `redis-server` for `agent-host demo` when no Redis is configured: loopback, free port, no
/// persistence of its own (the host's journal covers faults), stopped by PID on exit.
public final class RedisServerProcess: @unchecked Sendable {
    // @unchecked: immutable after start.
    public let url: String
    private let child: ChildProcess
    private let directory: String

    public init(timeout: TimeInterval = 10) throws {
        let port = try LoopbackPort.free()
        directory = try ChildProcess.temporaryDirectory(prefix: "agent-host-redis")
        let executable = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "redis-server"
        child = try ChildProcess(executable: executable,
                                 arguments: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                             "--dir", directory, "--daemonize", "no", "--logfile", ""],
                                 readyMarker: "Ready to accept connections", timeout: timeout,
                                 hint: "install it with `apt-get install redis-server` (scripts/setup does)")
        url = "redis://127.0.0.1:\(port)"
    }

    /// The redis-server's pid (benchmarks print its CPU beside the host's threads).
    public var processID: Int32 { child.processID }

    public func stop() {
        child.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
