import Foundation
import Host
import HostTestSupport
import TestSupport
import XCTest

/// `agent-host serve` as operators run it: the real executable in its own process, a real
/// redis-server the test can stop, freeze and restart (same port), the real support-backend, and
/// curl as the client. Fault tests go through exactly the path a caller's request takes.
class HostProcessTestCase: XCTestCase {
    var redis: RedisTestServer!
    var backend: ReferenceBackendProcess!
    var directory: TemporaryDirectory!
    var hosts: [Process] = []

    override func setUpWithError() throws {
        redis = try RedisTestServer()
        try redis.start()
        backend = try ReferenceBackendProcess()
        directory = TemporaryDirectory(prefix: "host-process")
    }

    override func tearDown() {
        for host in hosts where host.isRunning { kill(host.processIdentifier, SIGKILL) }
        for host in hosts { host.waitForExit() }
        backend?.stop()
        redis?.kill()
    }

    /// A started host: its URL, process and log file (stdout and stderr).
    struct Host: Sendable {
        let url: String
        let process: Process
        let log: String

        var pid: Int32 { process.processIdentifier }
        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    }

    /// Writes a configuration for the reference tenant and starts `agent-host serve` on a free
    /// port. The journal is `<journal>-journal.log` in the test's directory, so a second host
    /// started with the same `journal` name finds what the first left. `server` adds keys to the
    /// `server:` section (indented two spaces), `plugins` to the `plugins:` section.
    /// `pluginDirectories` are searched after the build's; `tenants` adds tenant entries
    /// (`  - id: …`, indented as the list) after the reference tenant.
    func startHost(_ name: String, journal: String? = nil, drainSeconds: Int = 30, server: String = "",
                   tenantLimits: String = "", plugins: String = "", pluginDirectories: [String] = [], tenants: String = "",
                   waitReady: Bool = true) throws -> Host {
        let port = try LoopbackPort.free()
        let yaml = demoYAML(port: port, journal: journal ?? name, drainSeconds: drainSeconds, server: server,
                            tenantLimits: tenantLimits, plugins: plugins, pluginDirectories: pluginDirectories, extraTenants: tenants)
        let path = directory.file("\(name).yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try launchHost(name, config: path, port: port, waitReady: waitReady)
    }

    /// The reference tenant's configuration (see `startHost`). `pluginDirectory` replaces the build
    /// directory, `pluginDirectories` are searched after it; `entries` replaces the tenant's plugin list items (flow-list text);
    /// `settings` adds to every commerce tool's settings; `extraTenants` is appended to `tenants:`.
    func demoYAML(port: Int, journal: String, drainSeconds: Int = 30, server: String = "", tenantLimits: String = "",
                  plugins: String = "", pluginDirectory: String? = nil, entries: [String]? = nil,
                  pluginDirectories: [String] = [], backendURL: String? = nil, extraTenants: String = "") -> String {
        let commerce = ["lookup-order", "check-billing", "process-refund", "create-payment-plan", "search-faq", "escalate-to-human"]
        let list = entries ?? (["triage", "billing", "refund", "faq"].map { "com.agenthost.support.\($0)" }
                               + commerce.map { "com.agenthost.commerce.\($0)" })
        // AGENT_HOST_TEST_LOOPS=N runs these suites' hosts with `server.loops: N` (docs/testing.md).
        let loops = ProcessInfo.processInfo.environment["AGENT_HOST_TEST_LOOPS"].flatMap { server.contains("loops:") ? nil : $0 }
        var yaml = """
        server:
          host: 127.0.0.1
          port: \(port)
          drain_deadline_seconds: \(drainSeconds)
        \(loops.map { "  loops: \($0)\n" } ?? "")\(server)
        redis:
          url: "\(redis.url)"
          journal_path: "\(directory.file("\(journal)-journal.log"))"
        plugins:
          directories: [\(([pluginDirectory ?? BuildProducts.directory] + pluginDirectories).map { "\"\($0)\"" }.joined(separator: ", "))]
        \(plugins)
        default_tenant: demo
        tenants:
          - id: demo
            entry_agent: com.agenthost.support.triage
            plugins: [\(list.joined(separator: ", "))]
        \(tenantLimits)
            settings:

        """
        for tool in commerce {
            yaml += "      com.agenthost.commerce.\(tool): {backend_url: \"\(backendURL ?? backend.url)\", api_key: \"\(backend.apiKey)\"}\n"
        }
        return yaml + extraTenants
    }

    /// Starts `agent-host serve --config config` (listening on `port`), its output in a log file.
    /// `executable` is this build's `agent-host` unless given (another build's, for an upgrade).
    func launchHost(_ name: String, config path: String, port: Int, waitReady: Bool = true,
                    executable: String = BuildProducts.path("agent-host")) throws -> Host {
        let log = directory.file("\(name)-\(hosts.count).log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--config", path]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        hosts.append(process)
        let host = Host(url: "http://127.0.0.1:\(port)", process: process, log: log)
        guard waitReady else { return host }
        for _ in 0..<400 {
            if (try? get(host.url + "/ready"))?.status == 200 { return host }
            guard process.isRunning else { break }
            usleep(25_000)
        }
        XCTFail("\(name) did not become ready:\n\(host.logText.suffix(3000))")
        return host
    }

    /// Waits for `host` to exit (SIGTERM drain, or after SIGKILL); its exit status, nil on timeout.
    func waitForExit(_ host: Host, timeout: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while host.process.isRunning, Date() < deadline { usleep(20_000) }
        return host.process.isRunning ? nil : host.process.terminationStatus
    }

    func eventually(_ timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try condition() { return true }
            usleep(25_000)
        } while Date() < deadline
        return try condition()
    }

    // MARK: HTTP with curl

    struct Reply: Sendable {
        let status: Int
        let body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var events: [[String: Any]] { json["events"] as? [[String: Any]] ?? [] }
        var types: [String] { events.compactMap { $0["type"] as? String } }
        var sessionID: String { json["session_id"] as? String ?? "" }
    }

    func get(_ url: String) throws -> Reply { try curl(["-s", "-w", "\n%{http_code}", url]) }
    func post(_ url: String, _ body: String, headers: [String] = []) throws -> Reply {
        try curl(["-s", "-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] } + ["--data-binary", body, url])
    }
    /// A body too large for an argument list goes through a file.
    func post(_ url: String, file: String) throws -> Reply { try curl(["-s", "-w", "\n%{http_code}", "--data-binary", "@" + file, url]) }

    func curl(_ arguments: [String]) throws -> Reply { try Self.curl(arguments) }

    /// `curl` from any thread (requests sent at once from several).
    static func curl(_ arguments: [String]) throws -> Reply {
        let result = try ProcessRunner.run("curl", ["--max-time", "20"] + arguments)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return Reply(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
    }

    /// The session ids stored in Redis for one caller of the demo tenant.
    func storedSessionIDs(caller: String) throws -> [String] {
        let json = try redis.cli("GET", "support:session:demo:\(caller)")
        guard !json.isEmpty, let record = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let interactions = record["interactions"] as? [[String: Any]] else { return [] }
        return interactions.compactMap { $0["session_id"] as? String }
    }

    func metric(_ host: Host, _ line: String) throws -> Double? {
        let text = try get(host.url + "/metrics").body
        for row in text.split(separator: "\n") where row.hasPrefix(line + " ") {
            return Double(row.dropFirst(line.count + 1))
        }
        return nil
    }
}
