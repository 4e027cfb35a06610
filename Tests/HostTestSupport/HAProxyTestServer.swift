import Foundation
import Glibc
import Host
import TestSupport

/// A real HAProxy (Debian's `haproxy`) in the foreground on a free loopback port, running the
/// repository's own `deploy/haproxy.cfg` with its variables pointing at the test's hosts.
public final class HAProxyTestServer {
    public let port: Int
    public let log: String
    private var process: Process?

    public var url: String { "http://127.0.0.1:\(port)" }

    /// `backends`: the three `host:port` the shipped configuration's server lines name.
    public init(backends: [String], directory: String) throws {
        precondition(backends.count == 3, "deploy/haproxy.cfg lists three servers")
        port = try LoopbackPort.free()
        log = directory + "/haproxy-\(port).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/sbin/haproxy")
        child.arguments = ["-db", "-f", BuildProducts.repositoryRoot + "/deploy/haproxy.cfg"]
        var environment = ProcessInfo.processInfo.environment
        environment["AGENT_HOST_FRONTEND"] = "127.0.0.1:\(port)"
        for (index, backend) in backends.enumerated() { environment["AGENT_HOST_\(index + 1)"] = backend }
        child.environment = environment
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        child.standardOutput = output
        child.standardError = output
        try child.run()
        process = child
    }

    deinit { stop() }

    public var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    public func stop() {
        guard let child = process else { return }
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        child.waitForExit()
        process = nil
    }
}
