import Foundation
import Host
import TestSupport
import XCTest

/// A running `agent-host serve` with `server.limits` set, serving the triage and FAQ departments
/// without Redis: what the connection-protection suites (ConnectionProtectionProcessTests,
/// LoopsConnectionCapTests) attack over raw sockets (`Client`). Its port and the file its stderr
/// (the log) goes to.
struct LimitedHost {
    let port: Int
    let process: Process
    let logPath: String
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var base: String { "http://127.0.0.1:\(port)" }

    /// Writes `<name>.yaml` in `directory` with `limits` under `server.limits` (and `server.loops`
    /// when given) and starts the host through `sh -c`, so `ulimit` can set its open-file limits
    /// first. `started` gets the process as soon as it runs (for the test's tear-down); returns once
    /// `/ready` answers 200, or after 10 s with an XCTFail.
    static func start(_ name: String, in directory: TemporaryDirectory, limits: [String: Int], loops: Int? = nil,
                      ulimit: String? = nil, started: (Process) -> Void) throws -> LimitedHost {
        let port = try LoopbackPort.free()
        var yaml = """
        server:
          host: 127.0.0.1
          port: \(port)
        \(loops.map { "  loops: \($0)\n" } ?? "")  limits:

        """
        for (key, value) in limits.sorted(by: { $0.key < $1.key }) { yaml += "    \(key): \(value)\n" }
        yaml += """
        plugins:
          directories: ["\(BuildProducts.directory)"]
        tenants:
          - id: demo
            entry_agent: com.agenthost.support.triage
            plugins: [com.agenthost.support.triage, com.agenthost.support.faq]

        """
        let config = directory.file("\(name).yaml")
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let logPath = directory.file("\(name).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let command = "exec \"$0\" serve --config \"$1\" 2>\"$2\""
        process.arguments = ["-c", (ulimit.map { "ulimit \($0) && " } ?? "") + command, BuildProducts.path("agent-host"), config, logPath]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        started(process)
        let host = LimitedHost(port: port, process: process, logPath: logPath)
        for _ in 0..<200 {
            if let client = try? Client(port: port), client.get("/ready")?.status == 200 { return host }
            usleep(50_000)
        }
        XCTFail("\(name) did not become ready: \(host.log)")
        return host
    }
}
