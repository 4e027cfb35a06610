import Foundation
import Host
import HostPlugins
import HostTenancy
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
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/\(host.pid)/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)  // to EOF: procfs reports size 0
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

    func testIsolatedRunnersOpenTheCopyAndRestartFromItAfterTheDeployedFilesAreGone() throws {
        let deployed = try deploy()
        let port = try LoopbackPort.free()
        let config = directory.file("isolated.yaml")
        try demoYAML(port: port, journal: "isolated", plugins: cacheSection() + "\n  isolation: process", pluginDirectory: deployed)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("isolated", config: config, port: port)
        XCTAssertEqual(toolOutcomes(try post(host.url + "/v1/chat", Self.refund)), [true])

        func runners() throws -> [(pid: Int32, command: String)] {
            try ProcessRunner.run("pgrep", ["-a", "-P", String(host.pid), "-f", "agent-host-plugin-runner"]).stdout
                .split(separator: "\n").compactMap { line in
                    let parts = line.split(separator: " ", maxSplits: 1)
                    return Int32(parts[0]).map { ($0, parts.count > 1 ? String(parts[1]) : "") }
                }
        }
        let before = try runners()
        XCTAssertEqual(before.count, 5, "\(before)")
        for runner in before {
            XCTAssertTrue(runner.command.contains(directory.file("cache") + "/"), runner.command)
            XCTAssertFalse(runner.command.contains(deployed), runner.command)
        }

        // The deployed files are gone; runners killed now restart from the private copies.
        for file in Self.files { try FileManager.default.removeItem(atPath: deployed + "/" + file) }
        for runner in before { kill(runner.pid, SIGKILL) }
        XCTAssertTrue(eventually(10) { (try? runners().count) == 5 && Set((try? runners().map(\.pid)) ?? []).isDisjoint(with: before.map(\.pid)) },
                      host.logText.suffix(2000).description)
        let after = try post(host.url + "/v1/chat", #"{"caller":"+15550136","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(toolOutcomes(after), [true], after.body)
        XCTAssertTrue(host.process.isRunning)
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

    // MARK: reload (SIGHUP)

    var betaTenant: String { """
      - id: beta
        entry_agent: com.agenthost.support.faq
        plugins: [com.agenthost.support.faq, com.agenthost.commerce.search-faq]
        settings:
          com.agenthost.commerce.search-faq: {backend_url: "\(backend.url)", api_key: "\(backend.apiKey)"}

    """ }

    /// Sends SIGHUP and waits for the reload's log line (the `count`-th of either outcome).
    func reload(_ host: Host, expecting count: Int) -> String {
        kill(host.pid, SIGHUP)
        let done = eventually(60) {
            host.logText.components(separatedBy: "[reload] ").count - 1 >= count
        }
        XCTAssertTrue(done, "no reload line:\n\(host.logText.suffix(3000))")
        return host.logText.components(separatedBy: "\n").filter { $0.contains("[reload] ") }.last ?? ""
    }

    /// A reload rebuilds the voice recognisers with their warm pools (docs/voice.md, "The first
    /// turn"): the first call after it takes an adapted decoder, as after a start.
    func testAReloadKeepsTheFirstTurnWarm() throws {
        let port = try LoopbackPort.free()
        let config = directory.file("reload-warm.yaml")
        try demoYAML(port: port, journal: "reload-warm").write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("reload-warm", config: config, port: port)
        try demoYAML(port: port, journal: "reload-warm", backendURL: "http://127.0.0.1:9").write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertTrue(reload(host, expecting: 1).contains("applied (requested by SIGHUP)"))
        // The pool's gauges are set when a call starts on a recogniser that has one.
        let call = try ProcessRunner.run(BuildProducts.path("agent-host"), ["call", "--say", "What is my balance?", "--url", host.url, "--json"])
        XCTAssertEqual(call.status, 0, call.stderr)
        let target = try XCTUnwrap(gauge(host, "agent_host_voice_warm_decoders_target"), "the reloaded recogniser has a warm pool")
        XCTAssertGreaterThanOrEqual(target, 2)
    }

    private func gauge(_ host: Host, _ name: String) -> Double? {
        guard let text = try? get(host.url + "/metrics").body else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(name + "{") && $0.contains("tenant=\"demo\"") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    func testSIGHUPWhileAChatSessionRunsLetsItFinishOnItsConfigurationAndNewSessionsGetTheNewOne() throws {
        let port = try LoopbackPort.free()
        let config = directory.file("reload.yaml")
        try demoYAML(port: port, journal: "reload", plugins: cacheSection()).write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("reload", config: config, port: port)
        let live = try post(host.url + "/v1/chat", Self.refund)
        XCTAssertEqual(live.status, 200, live.body)
        XCTAssertEqual(try post(host.url + "/v1/chat?tenant=beta", #"{"caller":"+15550140","text":"hello"}"#).status, 404)

        // The new configuration points the demo tenant's tools at a backend that is not there, and adds a tenant.
        try demoYAML(port: port, journal: "reload", plugins: cacheSection(), backendURL: "http://127.0.0.1:9", extraTenants: betaTenant)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let line = reload(host, expecting: 1)
        XCTAssertTrue(line.contains("applied (requested by SIGHUP)"), line)
        XCTAssertTrue(line.contains("tenant beta added"), line)
        XCTAssertTrue(line.contains("tenant demo changed (settings)"), line)

        // The live session's next turn still reaches the backend it started with.
        let turn = try post(host.url + "/v1/chat", #"{"caller":"+15550131","session_id":"\#(live.sessionID)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(turn.status, 200, turn.body)
        XCTAssertTrue(turn.types.contains("tool_result"), turn.body)
        XCTAssertFalse(turn.body.contains("127.0.0.1:9"), turn.body)
        let ended = try post(host.url + "/v1/chat", #"{"caller":"+15550131","session_id":"\#(live.sessionID)","end":true}"#)
        XCTAssertEqual(ended.status, 200, ended.body)
        XCTAssertTrue(ended.types.contains("end"), ended.body)

        // A new session runs on the new settings: its tool cannot reach the backend.
        let fresh = try post(host.url + "/v1/chat", #"{"caller":"+15550133","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(fresh.status, 200, fresh.body)
        XCTAssertEqual(toolOutcomes(turn), [true], turn.body)
        XCTAssertEqual(toolOutcomes(fresh), [false], fresh.body)
        XCTAssertTrue(host.logText.contains("HTTP GET http://127.0.0.1:9/api/orders/ORD-12345"), "the new session's tool used the new backend_url")
        let beta = try post(host.url + "/v1/chat?tenant=beta", #"{"caller":"+15550140","text":"what are your opening hours?"}"#)
        XCTAssertEqual(beta.status, 200, beta.body)
        XCTAssertTrue(host.process.isRunning)
    }

    /// Each tool_result's `ok`.
    func toolOutcomes(_ reply: Reply) -> [Bool] {
        reply.events.filter { $0["type"] as? String == "tool_result" }.compactMap { $0["ok"] as? Bool }
    }

    func testABrokenConfigurationOnReloadIsRefusedWholeAndTheRunningOneStays() throws {
        let port = try LoopbackPort.free()
        let config = directory.file("broken.yaml")
        let good = demoYAML(port: port, journal: "broken", plugins: cacheSection())
        try good.write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("broken", config: config, port: port)

        // A typo in a key, and a tenant added alongside it: nothing of it applies.
        let broken = good.replacingOccurrences(of: "    entry_agent: com.agenthost.support.triage", with: "    entry_agnet: com.agenthost.support.triage")
            + betaTenant
        try broken.write(toFile: config, atomically: true, encoding: .utf8)
        let line = reload(host, expecting: 1)
        let typoLine = broken.components(separatedBy: "\n").firstIndex { $0.contains("entry_agnet") }! + 1
        XCTAssertTrue(line.contains("refused, the running configuration stays (requested by SIGHUP): \(config):\(typoLine):"), line)
        XCTAssertTrue(line.contains("entry_agnet"), line)

        // A missing plugin is refused at its line, as at start.
        let missing = good.replacingOccurrences(of: "com.agenthost.support.faq,", with: "com.agenthost.support.faq, com.example.nowhere,")
        try missing.write(toFile: config, atomically: true, encoding: .utf8)
        let second = reload(host, expecting: 2)
        XCTAssertTrue(second.contains("tenant \"demo\": plugin \"com.example.nowhere\" is unavailable"), second)
        XCTAssertTrue(second.contains("\(config):"), second)

        XCTAssertTrue(host.process.isRunning)
        let served = try post(host.url + "/v1/chat", Self.refund)
        XCTAssertEqual(served.status, 200, served.body)
        XCTAssertTrue(served.types.contains("tool_result"), served.body)
        XCTAssertEqual(try post(host.url + "/v1/chat?tenant=beta", #"{"caller":"+15550140","text":"hello"}"#).status, 404, "beta was never applied")
        XCTAssertEqual(try metric(host, #"agent_host_reloads_total{outcome="refused"}"#), 2)

        // Fixed, it applies.
        try (good + betaTenant).write(toFile: config, atomically: true, encoding: .utf8)
        let third = reload(host, expecting: 3)
        XCTAssertTrue(third.contains("applied") && third.contains("tenant beta added"), third)
        XCTAssertEqual(try post(host.url + "/v1/chat?tenant=beta", #"{"caller":"+15550140","text":"hello"}"#).status, 200)
    }

    func testSIGHUPLoadsAChangedPluginFileBesideTheOldOneAndRollingBackReusesTheOldCopy() throws {
        let deployed = try deploy()
        let cache = directory.file("cache")
        let port = try LoopbackPort.free()
        let config = directory.file("upgrade.yaml")
        try demoYAML(port: port, journal: "upgrade", plugins: cacheSection(), pluginDirectory: deployed)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("upgrade", config: config, port: port)
        let live = try post(host.url + "/v1/chat", Self.refund)
        XCTAssertEqual(live.status, 200, live.body)

        // A new build of libRefund.so (other bytes), written over the deployed file.
        let old = try XCTUnwrap(PluginFileCache.sha256(ofFile: deployed + "/libRefund.so"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: deployed + "/libRefund.so"))
        bytes.append(Data("build 2".utf8))
        try bytes.write(to: URL(fileURLWithPath: deployed + "/libRefund.so"))
        let new = PluginFileCache.sha256(bytes)
        let line = reload(host, expecting: 1)
        XCTAssertTrue(line.contains("plugin file libRefund.so changed: new sessions use sha256 \(new.prefix(12)), live ones keep \(old.prefix(12))"), line)
        XCTAssertTrue(line.contains("tenant demo changed (plugin file libRefund.so)"), line)
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/\(host.pid)/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)  // to EOF: procfs reports size 0
        XCTAssertTrue(maps.contains("\(cache)/\(old)/libRefund.so") && maps.contains("\(cache)/\(new)/libRefund.so"), "both builds mapped")

        let turn = try post(host.url + "/v1/chat", #"{"caller":"+15550131","session_id":"\#(live.sessionID)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(turn.status, 200, turn.body)
        XCTAssertTrue(turn.types.contains("turn_end"), turn.body)
        let fresh = try post(host.url + "/v1/chat", #"{"caller":"+15550134","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(fresh.status, 200, fresh.body)
        XCTAssertEqual(toolOutcomes(fresh), [true], fresh.body)

        // Rollback: the previous build back, reloaded; its copy is still mapped and is used again.
        let cp = try ProcessRunner.run("cp", [BuildProducts.path("libRefund.so"), deployed + "/libRefund.so"])
        XCTAssertEqual(cp.status, 0, cp.stderr)
        let back = reload(host, expecting: 2)
        XCTAssertTrue(back.contains("applied") && back.contains("tenant demo changed (plugin file libRefund.so)"), back)
        XCTAssertFalse(back.contains("loaded (sha256"), "no new load: \(back)")
        let after = try post(host.url + "/v1/chat", #"{"caller":"+15550135","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(toolOutcomes(after), [true], after.body)
        XCTAssertTrue(host.process.isRunning)
    }

    // MARK: admin listener

    func testAdminListenerReloadsWithAKeyRefusesOthersAndLogsWhoDidIt() throws {
        let port = try LoopbackPort.free(), adminPort = try LoopbackPort.free()
        let admin = "http://127.0.0.1:\(adminPort)"
        let adminSection = "admin:\n  host: 127.0.0.1\n  port: \(adminPort)\n  api_keys: [\"\(APIKeys.hash("admin-secret"))\"]\n"
        let config = directory.file("admin.yaml")
        let good = demoYAML(port: port, journal: "admin", plugins: cacheSection()) + adminSection
        try good.write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("admin", config: config, port: port)

        XCTAssertEqual(try get(admin + "/admin/v1/tenants").status, 401)
        XCTAssertEqual(try curl(["-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer wrong", admin + "/admin/v1/tenants"]).status, 401)
        XCTAssertEqual(try post(admin + "/admin/v1/reload", "", headers: ["Authorization: Bearer wrong"]).status, 401)
        XCTAssertTrue(host.logText.contains("[admin] POST /admin/v1/reload refused: missing or invalid admin key"), host.logText)

        let auth = "Authorization: Bearer admin-secret"
        let tenants = try curl(["-s", "-w", "\n%{http_code}", "-H", auth, admin + "/admin/v1/tenants"])
        XCTAssertEqual(tenants.status, 200, tenants.body)
        let listed = try XCTUnwrap(tenants.json["tenants"] as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["id"] as? String }, ["demo"])
        let refundSHA = try XCTUnwrap(PluginFileCache.sha256(ofFile: BuildProducts.path("libRefund.so")))
        XCTAssertTrue(tenants.body.contains(refundSHA), tenants.body)
        let plugins = try curl(["-s", "-w", "\n%{http_code}", "-H", auth, admin + "/admin/v1/plugins"])
        XCTAssertEqual(plugins.status, 200, plugins.body)
        XCTAssertTrue(plugins.body.contains("\"sha256\" : \"\(refundSHA)\""), plugins.body)

        // `agent-host reload` applies a new tenant and prints what changed.
        try (demoYAML(port: port, journal: "admin", plugins: cacheSection(), extraTenants: betaTenant) + adminSection)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let applied = try ProcessRunner.run(BuildProducts.path("agent-host"), ["reload", "--url", admin, "--admin-key", "admin-secret"])
        XCTAssertEqual(applied.status, 0, applied.stderr)
        XCTAssertTrue(applied.stdout.contains("tenant beta added"), applied.stdout)
        XCTAssertEqual(try post(host.url + "/v1/chat?tenant=beta", #"{"caller":"+15550140","text":"hello"}"#).status, 200)
        let hash = APIKeys.hash("admin-secret").prefix(19)
        XCTAssertTrue(host.logText.contains("[admin] POST /admin/v1/reload by admin key \(hash)"), host.logText)
        XCTAssertTrue(host.logText.contains("[reload] applied (requested by admin key \(hash)"), host.logText)

        // A broken file: refused (exit 2, the file:line:column), and the host keeps serving beta.
        try (good.replacingOccurrences(of: "default_tenant: demo", with: "default_tenant: nobody")).write(toFile: config, atomically: true, encoding: .utf8)
        let refused = try ProcessRunner.run(BuildProducts.path("agent-host"), ["reload", "--url", admin, "--admin-key", "admin-secret"])
        XCTAssertEqual(refused.status, 2, refused.stdout + refused.stderr)
        XCTAssertTrue(refused.stderr.contains("reload refused, the running configuration stays: \(config):"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("default_tenant"), refused.stderr)
        XCTAssertEqual(try post(host.url + "/v1/chat?tenant=beta", #"{"caller":"+15550141","text":"hello"}"#).status, 200)

        let unauthorised = try ProcessRunner.run(BuildProducts.path("agent-host"), ["reload", "--url", admin, "--admin-key", "nope"])
        XCTAssertEqual(unauthorised.status, 1)
        XCTAssertTrue(unauthorised.stderr.contains("401"), unauthorised.stderr)
        XCTAssertEqual(try ProcessRunner.run(BuildProducts.path("agent-host"), ["reload", "--help"]).status, 0)
    }

    // MARK: admin endpoints: disable/enable, drain, plugins with runners and live sessions

    func adminHost(_ name: String, entries: [String]? = nil) throws -> (host: Host, admin: String, auth: String) {
        let port = try LoopbackPort.free(), adminPort = try LoopbackPort.free()
        let config = directory.file("\(name).yaml")
        try (demoYAML(port: port, journal: name, plugins: cacheSection(), entries: entries)
             + "admin:\n  host: 127.0.0.1\n  port: \(adminPort)\n  api_keys: [\"\(APIKeys.hash("admin-secret"))\"]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        return (try launchHost(name, config: config, port: port), "http://127.0.0.1:\(adminPort)", "Authorization: Bearer admin-secret")
    }

    func testAdminDisablesAndEnablesATenantsPluginForNewSessionsWhileLiveOnesFinish() throws {
        let (host, admin, auth) = try adminHost("toggle")
        let refundAgent = "com.agenthost.support.refund"
        let live = try post(host.url + "/v1/chat", Self.refund)
        XCTAssertEqual(toolOutcomes(live), [true], live.body)
        let toggle = admin + "/admin/v1/tenants/demo/plugins/\(refundAgent)/"

        XCTAssertEqual(try post(toggle + "disable", "").status, 401)
        XCTAssertEqual(try post(toggle + "disable", "", headers: ["Authorization: Bearer wrong"]).status, 401)
        let entry = try post(admin + "/admin/v1/tenants/demo/plugins/com.agenthost.support.triage/disable", "", headers: [auth])
        XCTAssertEqual(entry.status, 409, entry.body)
        XCTAssertTrue(entry.body.contains("entry agent and cannot be disabled: change entry_agent"), entry.body)
        let absent = try post(admin + "/admin/v1/tenants/demo/plugins/com.example.nope/disable", "", headers: [auth])
        XCTAssertEqual(absent.status, 404, absent.body)
        XCTAssertTrue(absent.body.contains("tenant 'demo' does not have plugin 'com.example.nope'"), absent.body)
        XCTAssertEqual(try post(admin + "/admin/v1/tenants/nobody/plugins/\(refundAgent)/disable", "", headers: [auth]).status, 404)
        XCTAssertEqual(try get(toggle + "disable").status, 401, "GET still needs the key first")

        let disabled = try post(toggle + "disable", "", headers: [auth])
        XCTAssertEqual(disabled.status, 200, disabled.body)
        XCTAssertEqual(disabled.json["disabled"] as? [String], [refundAgent], disabled.body)
        let hash = APIKeys.hash("admin-secret").prefix(19)
        XCTAssertTrue(host.logText.contains("disable \(refundAgent) for tenant demo (requested by admin key \(hash)"), host.logText)
        let fresh = try post(host.url + "/v1/chat", #"{"caller":"+15550150","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(fresh.status, 200, fresh.body)
        XCTAssertNil(sessionPlugins(fresh)[refundAgent], fresh.body)
        XCTAssertNotNil(sessionPlugins(fresh)["com.agenthost.support.billing"], fresh.body)
        // The live session keeps the refund agent it started with.
        let turn = try post(host.url + "/v1/chat", #"{"caller":"+15550131","session_id":"\#(live.sessionID)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(turn.status, 200, turn.body)
        XCTAssertEqual(turn.json["agent"] as? String, "Refund Agent", turn.body)
        XCTAssertEqual(try post(toggle + "disable", "", headers: [auth]).json["result"] as? String, "already disabled")

        // A reload keeps the disable; enable brings the plugin back for new sessions.
        kill(host.pid, SIGHUP)
        XCTAssertTrue(eventually(30) { host.logText.contains("[reload] applied") })
        XCTAssertNil(sessionPlugins(try post(host.url + "/v1/chat", #"{"caller":"+15550151","text":"hello"}"#))[refundAgent])
        let enabled = try post(toggle + "enable", "", headers: [auth])
        XCTAssertEqual(enabled.status, 200, enabled.body)
        XCTAssertEqual(sessionPlugins(try post(host.url + "/v1/chat", #"{"caller":"+15550152","text":"hello"}"#))[refundAgent], "1.0.0")
        XCTAssertTrue(host.logText.contains("enable \(refundAgent) for tenant demo (requested by admin key \(hash)"), host.logText)
    }

    func testAdminDrainStopsTakingSessionsWithoutExitingAndSIGTERMStillFinishes() throws {
        let (host, admin, auth) = try adminHost("admindrain")
        let live = try post(host.url + "/v1/chat", Self.refund)
        XCTAssertEqual(live.status, 200, live.body)
        XCTAssertEqual(try post(admin + "/admin/v1/drain", "").status, 401)
        let drained = try post(admin + "/admin/v1/drain", "", headers: [auth])
        XCTAssertEqual(drained.status, 200, drained.body)
        XCTAssertEqual(drained.json["active_sessions"] as? Int, 1, drained.body)
        let ready = try get(host.url + "/ready")
        XCTAssertEqual(ready.status, 503)
        XCTAssertTrue(ready.body.contains("draining"), ready.body)
        XCTAssertEqual(try post(host.url + "/v1/chat", #"{"caller":"+15550160","text":"hello"}"#).status, 503)
        // The live session goes on, and the host keeps running.
        let turn = try post(host.url + "/v1/chat", #"{"caller":"+15550131","session_id":"\#(live.sessionID)","text":"thanks"}"#)
        XCTAssertEqual(turn.status, 200, turn.body)
        usleep(300_000)
        XCTAssertTrue(host.process.isRunning)
        XCTAssertEqual(try post(admin + "/admin/v1/drain", "", headers: [auth]).json["already"] as? Bool, true)
        XCTAssertTrue(host.logText.contains("drain started by admin key \(APIKeys.hash("admin-secret").prefix(19))"), host.logText)
        XCTAssertEqual(try post(host.url + "/v1/chat", #"{"session_id":"\#(live.sessionID)","end":true}"#).status, 200)
        kill(host.pid, SIGTERM)
        XCTAssertEqual(waitForExit(host), 0, host.logText.suffix(2000).description)
    }

    func testAdminPluginsShowsIsolationRunnerPidTenantsAndLiveSessionsPerFile() throws {
        let refundAgent = "com.agenthost.support.refund"
        let entries = ["triage", "billing", "faq"].map { "com.agenthost.support.\($0)" } + ["{id: \(refundAgent), isolation: process}"]
            + ["lookup-order", "check-billing", "process-refund", "create-payment-plan", "search-faq", "escalate-to-human"].map { "com.agenthost.commerce.\($0)" }
        let (host, admin, auth) = try adminHost("adminplugins", entries: entries)
        let live = try post(host.url + "/v1/chat", Self.refund)
        XCTAssertEqual(toolOutcomes(live), [true], live.body)

        func files() throws -> [String: [String: Any]] {
            let reply = try curl(["-s", "-w", "\n%{http_code}", "-H", auth, admin + "/admin/v1/plugins"])
            XCTAssertEqual(reply.status, 200, reply.body)
            let list = reply.json["files"] as? [[String: Any]] ?? []
            return Dictionary(list.map { ($0["file"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        }
        let report = try files()
        let refund = try XCTUnwrap(report["libRefund.so"], "\(report.keys)")
        XCTAssertEqual(refund["isolation"] as? String, "process")
        XCTAssertEqual(refund["tenants"] as? [String], ["demo"])
        XCTAssertEqual(refund["live_sessions"] as? Int, 1)
        XCTAssertEqual((refund["versions"] as? [String: String])?[refundAgent], "1.0.0")
        let runner = try XCTUnwrap((refund["runners"] as? [[String: Any]])?.first)
        XCTAssertEqual(runner["tenant"] as? String, "demo")
        XCTAssertEqual(runner["restarts"] as? Int, 0)
        let pid = try XCTUnwrap(runner["pid"] as? Int)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/proc/\(pid)"), "runner \(pid) is alive")
        let triage = try XCTUnwrap(report["libTriage.so"])
        XCTAssertEqual(triage["isolation"] as? String, "in-process")
        XCTAssertEqual((triage["runners"] as? [[String: Any]])?.count, 0)

        // The session ends: no live session on the file any more; the runner stays (the tenant's runtime holds it).
        XCTAssertEqual(try post(host.url + "/v1/chat", #"{"session_id":"\#(live.sessionID)","end":true}"#).status, 200)
        XCTAssertTrue(try eventually(10) { try files()["libRefund.so"]?["live_sessions"] as? Int == 0 })
        XCTAssertEqual(try post(admin + "/admin/v1/plugins", "", headers: [auth]).status, 405)
    }

    // MARK: upgrade under load

    /// bench/upgrade.py over this build: chat load and voice calls while v1 of an isolated C agent
    /// is replaced by v2 and SIGHUP reloads, then a rollback (see the script for what it checks).
    func testUpgradeUnderLoadKeepsLiveSessionsOnV1StartsNewOnesOnV2AndV1sRunnerExitsAfterItsLastSession() throws {
        let script = BuildProducts.repositoryRoot + "/bench/upgrade.py"
        let result = try ProcessRunner.run("python3", [script, "--build", BuildProducts.directory, "--json",
                                                       "--workers", "4", "--before", "3", "--after", "5"])
        let line = try XCTUnwrap(result.stdout.split(separator: "\n").last, result.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], result.stdout)
        for check in summary["checks"] as? [[String: Any]] ?? [] {
            XCTAssertEqual(check["passed"] as? Bool, true, "\(check["check"] ?? ""): \(check["detail"] ?? "")")
        }
        XCTAssertEqual((summary["checks"] as? [Any])?.count, 9, line.description)
        XCTAssertEqual((summary["failed"] as? [Any])?.count, 0, line.description)
        let sessions = try XCTUnwrap(summary["sessions"] as? [String: Int])
        XCTAssertGreaterThan(sessions["live_at_reload_finish"] ?? 0, 0, line.description)
        XCTAssertGreaterThan(sessions["after"] ?? 0, 0, line.description)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    // MARK: versions side by side

    /// Builds the frozen echo tool fixture (a C plugin) as `lib<name>.so` with `version`.
    func buildEcho(version: String, into deployed: String, name: String) throws {
        let fixtures = BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures"
        let sources = directory.file("echo-\(version)")
        try FileManager.default.createDirectory(atPath: sources, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: sources + "/fixture_common.h")
        try FileManager.default.copyItem(atPath: fixtures + "/plugins/fixture_common.h", toPath: sources + "/fixture_common.h")
        let text = try String(contentsOfFile: fixtures + "/plugins/frozen_echo.c", encoding: .utf8)
            .replacingOccurrences(of: ".version = \"1.0.0\"", with: ".version = \"\(version)\"")
        try text.write(toFile: sources + "/echo.c", atomically: true, encoding: .utf8)
        try CPluginBuilder.build(source: sources + "/echo.c", includeDirectory: fixtures + "/abi-1.0/include",
                                 output: deployed + "/\(name).so")
        chmod(deployed + "/\(name).so", 0o755)
    }

    func sessionPlugins(_ reply: Reply) -> [String: String] {
        reply.events.first { $0["type"] as? String == "session" }?["plugins"] as? [String: String] ?? [:]
    }

    func testTwoVersionsOfAPluginServeSideBySideAndATenantPinsWhichOneItsSessionsRun() throws {
        let deployed = try deploy()
        try buildEcho(version: "1.0.0", into: deployed, name: "libecho_v1")
        try buildEcho(version: "2.0.0", into: deployed, name: "libecho_v2")
        let list = try ProcessRunner.run(BuildProducts.path("agent-host"), ["plugins", "list", "--plugin-dir", deployed])
        XCTAssertTrue(list.stdout.contains("libecho_v1.so") && list.stdout.contains("libecho_v2.so"), list.stdout)
        XCTAssertTrue(list.stdout.contains("refused: 0 file(s)"), list.stdout)

        let echo = "com.agenthost.fixtures.frozen-echo"
        func yaml(_ pin: String?) -> String {
            let entries = ["triage", "billing", "refund", "faq"].map { "com.agenthost.support.\($0)" }
                + ["lookup-order", "check-billing", "process-refund", "create-payment-plan", "search-faq", "escalate-to-human"].map { "com.agenthost.commerce.\($0)" }
                + [pin.map { "{id: \(echo), version: \"\($0)\"}" } ?? echo]
            return demoYAML(port: port, journal: "versions", plugins: cacheSection(), pluginDirectory: deployed, entries: entries)
        }
        let port = try LoopbackPort.free()
        let config = directory.file("versions.yaml")
        try yaml("1.0.0").write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("versions", config: config, port: port)
        let first = try post(host.url + "/v1/chat", Self.refund)
        XCTAssertEqual(first.status, 200, first.body)
        let versions = sessionPlugins(first)
        XCTAssertEqual(versions[echo], "1.0.0", first.body)
        XCTAssertEqual(versions["com.agenthost.support.refund"], "1.0.0", first.body)
        XCTAssertEqual(versions.count, 11, first.body)

        // Pin 2.0.0 and reload: new sessions run it; the live one keeps 1.0.0's instance.
        try yaml("2.0.0").write(toFile: config, atomically: true, encoding: .utf8)
        let line = reload(host, expecting: 1)
        XCTAssertTrue(line.contains("tenant demo changed (pins, plugin file libecho_v2.so)"), line)
        XCTAssertEqual(sessionPlugins(try post(host.url + "/v1/chat", #"{"caller":"+15550137","text":"hello"}"#))[echo], "2.0.0")
        XCTAssertEqual(try post(host.url + "/v1/chat", #"{"caller":"+15550131","session_id":"\#(first.sessionID)","text":"thanks"}"#).status, 200)

        // No pin: the highest version loaded.
        try yaml(nil).write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertTrue(reload(host, expecting: 2).contains("applied"))
        XCTAssertEqual(sessionPlugins(try post(host.url + "/v1/chat", #"{"caller":"+15550138","text":"hello"}"#))[echo], "2.0.0")

        // A version nobody deployed is refused at its line; the running configuration stays.
        try yaml("3.0.0").write(toFile: config, atomically: true, encoding: .utf8)
        let refused = reload(host, expecting: 3)
        let pinLine = try String(contentsOfFile: config, encoding: .utf8).components(separatedBy: "\n").firstIndex { $0.contains("3.0.0") }! + 1
        XCTAssertTrue(refused.contains("\(config):\(pinLine):"), refused)
        XCTAssertTrue(refused.contains("plugin \"\(echo)\" version 3.0.0 is unavailable: loaded versions are 2.0.0, 1.0.0"), refused)
        XCTAssertEqual(sessionPlugins(try post(host.url + "/v1/chat", #"{"caller":"+15550139","text":"hello"}"#))[echo], "2.0.0")

        // At start, the same pin is exit 2 with the same message.
        let second = try launchHost("versions", config: config, port: try LoopbackPort.free(), waitReady: false)
        XCTAssertEqual(waitForExit(second), 2)
        XCTAssertTrue(second.logText.contains("version 3.0.0 is unavailable"), second.logText)
    }

    // MARK: signatures

    func testSignedPluginsServeAndTamperedOrUnsignedOnesAreRefusedWhenSignaturesAreRequired() throws {
        let deployed = try deploy()
        let key = directory.file("key.pem"), publicKey = directory.file("public.pem"), otherPublic = directory.file("other.pem")
        for (arguments, _) in [(["genpkey", "-algorithm", "ed25519", "-out", key], 0),
                               (["pkey", "-in", key, "-pubout", "-out", publicKey], 0),
                               (["genpkey", "-algorithm", "ed25519", "-out", directory.file("other-key.pem")], 0),
                               (["pkey", "-in", directory.file("other-key.pem"), "-pubout", "-out", otherPublic], 0)] {
            let result = try ProcessRunner.run("openssl", arguments)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let cli = BuildProducts.path("agent-host")
        for file in Self.files {
            let signed = try ProcessRunner.run(cli, ["plugins", "sign", "--key", key, deployed + "/" + file])
            XCTAssertEqual(signed.status, 0, signed.stderr)
            XCTAssertTrue(FileManager.default.fileExists(atPath: deployed + "/" + file + ".sig"))
        }
        XCTAssertEqual(try ProcessRunner.run(cli, ["plugins", "verify", "--key", publicKey, deployed + "/libRefund.so"]).status, 0)
        let untrusted = try ProcessRunner.run(cli, ["plugins", "verify", "--key", otherPublic, deployed + "/libRefund.so"])
        XCTAssertEqual(untrusted.status, 1)
        XCTAssertTrue(untrusted.stderr.contains("does not verify"), untrusted.stderr)

        let port = try LoopbackPort.free()
        let config = directory.file("signed.yaml")
        let section = cacheSection() + "\n  trusted_keys: [\"\(publicKey)\"]\n  require_signature: true"
        try demoYAML(port: port, journal: "signed", plugins: section, pluginDirectory: deployed).write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("signed", config: config, port: port)
        XCTAssertEqual(toolOutcomes(try post(host.url + "/v1/chat", Self.refund)), [true])

        // Tampered after signing: the reload refuses the file, so the tenant cannot be built; nothing changes.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: deployed + "/libRefund.so"))
        handle.seekToEndOfFile()
        handle.write(Data("tampered".utf8))
        handle.closeFile()
        let line = reload(host, expecting: 1)
        XCTAssertTrue(line.contains("refused") && line.contains("com.agenthost.support.refund\" is unavailable"), line)
        XCTAssertTrue(host.logText.contains("libRefund.so: its signature \(deployed)/libRefund.so.sig does not verify with any key in plugins.trusted_keys"),
                      host.logText)
        XCTAssertEqual(toolOutcomes(try post(host.url + "/v1/chat", #"{"caller":"+15550142","text":"I need a refund for order ORD-12345"}"#)), [true])

        // Unsigned, at start: exit 2, the refusal saying how to sign.
        try FileManager.default.removeItem(atPath: deployed + "/libFAQ.so.sig")
        let second = try launchHost("signed", config: config, port: try LoopbackPort.free(), waitReady: false)
        XCTAssertEqual(waitForExit(second), 2)
        XCTAssertTrue(second.logText.contains("libFAQ.so: unsigned, and plugins.require_signature is true: sign it (`agent-host plugins sign --key KEY.pem"),
                      second.logText)
    }
}
