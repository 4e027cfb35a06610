import Foundation
import Host
import HostSupport
import TestSupport
import XCTest

extension HostProcessTests {
    /// The executable's build id is read once, at start-up (HostRunner), before any loop serves —
    /// not lazily on a loop thread the first time `/health` or the fleet heartbeat asks: the host's
    /// first log line names it, and `/health` and the heartbeat show the same.
    func testTheBuildIDIsReadAtStartUpBeforeServing() throws {
        let host = try startHost("build")
        let expected = try XCTUnwrap(ExecutableBuildID.read(BuildProducts.path("agent-host")), "this build's agent-host has no build id")
        let lines = host.logText.split(separator: "\n").map(String.init)
        // Logged before the plugins load: the first of the host's own lines.
        let named = lines.firstIndex { $0.contains("agent-host \(HostInfo.version) build \(expected)") }
        let plugins = lines.firstIndex { $0.contains("plugins") }
        XCTAssertNotNil(named, "the start-up log does not name the build:\n\(lines.prefix(20).joined(separator: "\n"))")
        if let named, let plugins { XCTAssertLessThan(named, plugins, "the build id was read after start-up") }
        XCTAssertEqual(try get(host.url + "/health").json["build"] as? String, expected)
        XCTAssertTrue(try eventually(5) { try redis.cli("KEYS", "agent-host:fleet:*").split(separator: "\n").contains { key in
            (try? redis.cli("GET", String(key)))?.contains(expected) == true
        } }, "the heartbeat does not carry the build id")
    }
}
