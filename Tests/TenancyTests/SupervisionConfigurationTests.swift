import Foundation
import HostPlugins
import HostTenancy
import TestSupport
import XCTest

/// `plugins: supervision:` — the runners' cancel grace, restart backoff and crash limit as operator
/// settings, read from a real configuration file, with clear errors for bad values.
final class SupervisionConfigurationTests: XCTestCase {
    let tenants = "tenants: [{id: acme, plugins: [com.x.a], entry_agent: com.x.a}]\n"

    func load(_ yaml: String) throws(ConfigurationError) -> HostConfiguration {
        let directory = TemporaryDirectory(prefix: "supervision-config")
        let path = directory.file("agent-host.yaml")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8)))
        return try HostConfiguration.load(path: path, environment: [:])
    }

    func assertError(_ yaml: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try load(yaml)
            XCTFail("expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertTrue(error.description.contains(expected), "\(error.description) does not say \(expected)", file: file, line: line)
            XCTAssertTrue(error.description.contains("agent-host.yaml:"), "the error names the file: \(error.description)", file: file, line: line)
        }
    }

    func testEverySettingIsReadFromTheFile() throws {
        let configuration = try load("""
            plugins:
              isolation: process
              supervision:
                cancel_grace_ms: 500
                restart_backoff_ms: 50
                max_restart_backoff_ms: 800
                max_crashes: 3
                crash_window_ms: 10000
                spin_us: 0
            """ + "\n" + tenants)
        var expected = IsolationPolicy()
        expected.cancelGraceMilliseconds = 500
        expected.restartBackoffMilliseconds = 50
        expected.maxBackoffMilliseconds = 800
        expected.maxCrashes = 3
        expected.crashWindowMilliseconds = 10_000
        expected.spinMicroseconds = 0
        XCTAssertEqual(configuration.plugins.supervision, expected)
    }

    func testLeftOutSettingsKeepTodaysDefaults() throws {
        XCTAssertEqual(try load(tenants).plugins.supervision, IsolationPolicy())
        let partial = try load("plugins:\n  supervision:\n    max_crashes: 2\n" + tenants).plugins.supervision
        XCTAssertEqual(partial.maxCrashes, 2)
        XCTAssertEqual(partial.cancelGraceMilliseconds, 2_000)
        XCTAssertEqual(partial.restartBackoffMilliseconds, 100)
        XCTAssertEqual(partial.maxBackoffMilliseconds, 5_000)
        XCTAssertEqual(partial.crashWindowMilliseconds, 60_000)
        XCTAssertEqual(partial.spinMicroseconds, 50)
    }

    func testBadValuesAreRefusedSayingWhatIsAllowed() {
        assertError("plugins:\n  supervision:\n    spin_us: 5000\n" + tenants, "spin_us")
        assertError("plugins:\n  supervision:\n    max_crashes: 0\n" + tenants,
                    "plugins.supervision.max_crashes: must be between 1 and 1000, got 0")
        assertError("plugins:\n  supervision:\n    cancel_grace_ms: soon\n" + tenants,
                    #"plugins.supervision.cancel_grace_ms: must be an integer, got "soon""#)
        assertError("plugins:\n  supervision:\n    restart_backoff_ms: 900\n    max_restart_backoff_ms: 300\n" + tenants,
                    "plugins.supervision.max_restart_backoff_ms: the longest restart delay (max_restart_backoff_ms, 300) must be at least the first (restart_backoff_ms, 900)")
        assertError("plugins:\n  supervision:\n    max_crash: 3\n" + tenants, #"did you mean "max_crashes"?)"#)
        assertError("plugins:\n  supervision: 5\n" + tenants, "plugins.supervision: must be a mapping (keys: cancel_grace_ms, restart_backoff_ms")
    }
}
