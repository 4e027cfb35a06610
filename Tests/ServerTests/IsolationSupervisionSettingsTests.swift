import Foundation
import Host
import TestSupport
import XCTest

/// `plugins: supervision:` in the configuration file of `agent-host serve` governs its runners:
/// with `max_crashes: 1`, one segfault stops tenant acme's isolated tool (the default takes five
/// crashes within 60 s), /health names it and the log says which setting stopped it.
final class IsolationSupervisionSettingsTests: HostProcessTestCase {
    func testSupervisionSettingsFromTheFileGovernTheRunners() throws {
        let fixtures = TemporaryDirectory(prefix: "supervision-fixtures")
        for name in ["desk_agent", "risky_tool"] {
            try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/IsolationTests/Fixtures/\(name).c",
                                     includeDirectory: BuildProducts.repositoryRoot + "/Sources/PluginABI/include",
                                     output: fixtures.file("lib\(name).so"))
        }
        let acme = """
          - id: acme
            entry_agent: com.example.isolation.desk
            plugins:
              - com.example.isolation.desk
              - {id: com.example.isolation.risky, isolation: process}

        """
        let supervision = "  supervision:\n    max_crashes: 1\n    restart_backoff_ms: 10\n    max_restart_backoff_ms: 20\n    crash_window_ms: 30000\n    spin_us: 0"
        let host = try startHost("supervision", plugins: supervision, pluginDirectories: [fixtures.path], tenants: acme)

        let healthy = try get(host.url + "/health")
        XCTAssertTrue(healthy.body.contains(#""status":"ok""#), healthy.body)
        // spin_us reaches the runner: the last argument of its command line.
        let runners = try ProcessRunner.run("pgrep", ["-P", String(host.pid), "-f", "plugin-runner"]).stdout.split(separator: "\n")
        XCTAssertFalse(runners.isEmpty, "no runner under the host")
        for pid in runners {
            let argv = ((try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            XCTAssertEqual(argv.last, "0", "the runner's arguments: \(argv)")
        }
        let crash = try post(host.url + "/v1/chat", #"{"tenant":"acme","caller":"+15550001","text":"run segv"}"#)
        XCTAssertEqual(crash.status, 200, crash.body)
        XCTAssertTrue(crash.body.contains("crashed"), crash.body)

        XCTAssertTrue(eventually(10) { (try? get(host.url + "/health"))?.body.contains("plugin librisky_tool.so failed for tenant acme") == true },
                      "one crash stopped the plugin: \((try? get(host.url + "/health"))?.body ?? "no answer")")
        XCTAssertTrue(host.logText.contains("crashed 1 times within 30 s and was stopped for tenant acme"), host.logText.suffix(3000).description)
        let refused = try post(host.url + "/v1/chat", #"{"tenant":"acme","caller":"+15550002","text":"run ok"}"#)
        XCTAssertEqual(refused.status, 200, refused.body)
        XCTAssertFalse(refused.body.contains("ok: fine"), "a stopped plugin is not called again: \(refused.body)")
        XCTAssertTrue(host.process.isRunning)
    }
}
