import Foundation
import Host
import TestSupport
import XCTest

/// Issue #13: plugin files change under a running `agent-host serve` (overwritten in place,
/// deleted, tampered with), and the configuration is reloaded without a restart.
final class PluginLifecycleTests: HostProcessTestCase {
    static let files = ["libTriage.so", "libBilling.so", "libRefund.so", "libFAQ.so", "libCommerceTools.so"]
    static let refund = #"{"caller":"+15550131","text":"I need a refund for order ORD-12345"}"#

    /// A deployment directory holding copies of the reference plugins the demo tenant uses.
    func deploy() throws -> String {
        let deployed = directory.file("deployed")
        try FileManager.default.createDirectory(atPath: deployed, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        for file in Self.files {
            let target = deployed + "/" + file
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: BuildProducts.path(file), toPath: target)
            chmod(target, 0o755)
        }
        return deployed
    }

    func cacheSection() -> String { "  cache_directory: \"\(directory.file("cache"))\"" }

    func testOverwritingAndDeletingDeployedPluginsInPlaceLeavesTheRunningHostServing() throws {
        let deployed = try deploy()
        let port = try LoopbackPort.free()
        let config = directory.file("overwrite.yaml")
        try demoYAML(port: port, journal: "overwrite", plugins: cacheSection(), pluginDirectory: deployed)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("overwrite", config: config, port: port)

        let first = try post(host.url + "/v1/chat", Self.refund)
        XCTAssertEqual(first.status, 200, first.body)
        XCTAssertTrue(first.types.contains("tool_result"), first.body)

        // The host mapped its private copies, named by content.
        let refundSHA = try XCTUnwrap(PluginFileCache.sha256(ofFile: deployed + "/libRefund.so"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.file("cache") + "/\(refundSHA)/libRefund.so"))
        let maps = try String(contentsOfFile: "/proc/\(host.pid)/maps", encoding: .utf8)
        XCTAssertTrue(maps.contains(directory.file("cache") + "/\(refundSHA)/libRefund.so"), "the copy is mapped")
        XCTAssertFalse(maps.contains(deployed + "/"), "no deployed file is mapped")

        // `cp new old` writes into the same inode (what crashes a host mapping it), then deletions.
        let cp = try ProcessRunner.run("cp", [deployed + "/libFAQ.so", deployed + "/libRefund.so"])
        XCTAssertEqual(cp.status, 0, cp.stderr)
        XCTAssertEqual(PluginFileCache.sha256(ofFile: deployed + "/libRefund.so"), PluginFileCache.sha256(ofFile: deployed + "/libFAQ.so"))
        try FileManager.default.removeItem(atPath: deployed + "/libTriage.so")
        try FileManager.default.removeItem(atPath: deployed + "/libCommerceTools.so")

        // The live session goes on, and new ones work: the code that runs is the copy's.
        let next = try post(host.url + "/v1/chat", #"{"caller":"+15550131","session_id":"\#(first.sessionID)","text":"thanks, and what are your opening hours?"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertTrue(next.types.contains("turn_end"), next.body)
        let fresh = try post(host.url + "/v1/chat", #"{"caller":"+15550132","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(fresh.status, 200, fresh.body)
        XCTAssertTrue(fresh.types.contains("tool_result"), fresh.body)
        XCTAssertTrue(fresh.body.lowercased().contains("refund"), fresh.body)
        XCTAssertTrue(host.process.isRunning, host.logText.suffix(3000).description)
    }

    func testPluginsListShowsSHA256AndInsecureFilesAreRefusedWithTheReason() throws {
        let deployed = try deploy()
        let sha = try XCTUnwrap(PluginFileCache.sha256(ofFile: deployed + "/libRefund.so"))
        let list = try ProcessRunner.run(BuildProducts.path("agent-host"), ["plugins", "list", "--plugin-dir", deployed])
        XCTAssertTrue(list.stdout.contains("libRefund.so") && list.stdout.contains("sha256:\(sha)"), list.stdout)
        let inspect = try ProcessRunner.run(BuildProducts.path("agent-host"), ["plugins", "inspect", deployed + "/libRefund.so"])
        XCTAssertTrue(inspect.stdout.contains("sha256: \(sha)"), inspect.stdout)

        chmod(deployed + "/libRefund.so", 0o775)
        let refused = try ProcessRunner.run(BuildProducts.path("agent-host"), ["plugins", "list", "--plugin-dir", deployed])
        XCTAssertTrue(refused.stdout.contains("libRefund.so: the file is writable by group or others (mode 775): chmod go-w it"), refused.stdout)

        // serve refuses it too, and then the tenant naming it cannot start (exit 2, at its line).
        let port = try LoopbackPort.free()
        let config = directory.file("insecure.yaml")
        try demoYAML(port: port, journal: "insecure", plugins: cacheSection(), pluginDirectory: deployed)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("insecure", config: config, port: port, waitReady: false)
        XCTAssertEqual(waitForExit(host), 2)
        XCTAssertTrue(host.logText.contains("writable by group or others"), host.logText)
        XCTAssertTrue(host.logText.contains("plugin \"com.agenthost.support.refund\" is unavailable"), host.logText)

        // allow_insecure_files: true accepts it.
        try demoYAML(port: port, journal: "insecure", plugins: cacheSection() + "\n  allow_insecure_files: true", pluginDirectory: deployed)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let allowed = try launchHost("insecure", config: config, port: port)
        XCTAssertEqual(try post(allowed.url + "/v1/chat", Self.refund).status, 200)
    }

    func testATamperedFileAgainstItsPinnedSHA256RefusesToStartAtThePinsLine() throws {
        let deployed = try deploy()
        let sha = try XCTUnwrap(PluginFileCache.sha256(ofFile: deployed + "/libRefund.so"))
        var entries = ["triage", "billing", "faq"].map { "com.agenthost.support.\($0)" }
            + ["lookup-order", "check-billing", "process-refund", "create-payment-plan", "search-faq", "escalate-to-human"].map { "com.agenthost.commerce.\($0)" }
        entries.append("{id: com.agenthost.support.refund, sha256: \"\(sha)\"}")
        let port = try LoopbackPort.free()
        let config = directory.file("pinned.yaml")
        try demoYAML(port: port, journal: "pinned", drainSeconds: 1, plugins: cacheSection(), pluginDirectory: deployed, entries: entries)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let pinned = try launchHost("pinned", config: config, port: port)
        XCTAssertEqual(try post(pinned.url + "/v1/chat", Self.refund).status, 200, "the pinned bytes serve")
        kill(pinned.pid, SIGTERM)
        XCTAssertEqual(waitForExit(pinned), 0)

        // Tamper: a byte appended keeps the file loadable, but it is no longer the pinned build.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: deployed + "/libRefund.so"))
        handle.seekToEndOfFile()
        handle.write(Data("tampered".utf8))
        handle.closeFile()
        let host = try launchHost("pinned", config: config, port: port, waitReady: false)
        XCTAssertEqual(waitForExit(host), 2, host.logText)
        let line = try XCTUnwrap(String(contentsOfFile: config, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("sha256:") }) + 1
        XCTAssertTrue(host.logText.contains("\(config):\(line):"), host.logText)
        XCTAssertTrue(host.logText.contains("tenant \"demo\": plugin \"com.agenthost.support.refund\" is pinned to sha256 \(sha), but \(deployed)/libRefund.so has sha256"),
                      host.logText)
    }
}
