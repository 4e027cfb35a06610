import Foundation
import TestSupport
import XCTest

/// The built `agent-host` asked for help: every command prints its own usage to stdout and exits
/// 0; an unknown option is still bad usage (exit 2) with a one-line reason on stderr.
final class CommandHelpTests: XCTestCase {
    /// Under `timeout`: a command that ignored `--help` or a bad option would start serving (demo
    /// did) and never exit; it is stopped after 20 s and fails with status 124.
    func run(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("timeout", ["20", BuildProducts.path("agent-host")] + arguments)
    }

    func testEveryCommandAnswersHelpWithItsOwnUsage() throws {
        let commands: [(arguments: [String], usage: String, mentions: [String])] = [
            (["chat"], "usage: agent-host chat", ["--url", "--local", "--json", "--caller", "--tenant", "--api-key", "--backend"]),
            (["serve"], "usage: agent-host serve", ["--config", "--port"]),
            (["call"], "usage: agent-host call", ["--wav", "--say", "--out", "--url", "--json", "--token"]),
            (["plugins", "list"], "usage: agent-host plugins list", ["--plugin-dir", "--json"]),
            (["plugins", "inspect"], "usage: agent-host plugins inspect PATH", []),
            (["plugins"], "usage: agent-host plugins list", ["plugins inspect PATH"]),
            (["demo"], "usage: agent-host demo", ["--port", "REDIS_URL"]),
            (["eval"], "usage: agent-host eval routing FILE", ["label<TAB>utterance"]),
            (["eval", "routing"], "usage: agent-host eval routing FILE", []),
            (["eval", "scenarios"], "usage: agent-host eval scenarios FILE.yaml", ["--url", "--local", "--voice", "--junit", "docs/evals.md"]),
            (["hash-key"], "usage: agent-host hash-key KEY", []),
            (["version"], "usage: agent-host version", []),
            (["reload"], "usage: agent-host reload", ["--url", "--admin-key"]),
            (["fleet"], "usage: agent-host fleet status", ["--redis", "--json"]),
            (["fleet", "status"], "usage: agent-host fleet status", ["--redis"]),
            (["plugins", "sign"], "usage: agent-host plugins sign", ["--key"]),
            (["plugins", "verify"], "usage: agent-host plugins verify", ["--key"]),
            (["help"], "usage: agent-host <command>", ["serve --config FILE", "eval routing FILE", "fleet status --redis URL"]),
        ]
        for (arguments, usage, mentions) in commands {
            for flag in ["--help", "-h"] {
                let result = try run(arguments + [flag])
                let line = (arguments + [flag]).joined(separator: " ")
                XCTAssertEqual(result.status, 0, "\(line): \(result.stderr)")
                XCTAssertTrue(result.stdout.hasPrefix(usage), "\(line) printed: \(result.stdout)")
                XCTAssertEqual(result.stderr, "", line)
                for option in mentions { XCTAssertTrue(result.stdout.contains(option), "\(line) does not mention \(option)") }
            }
        }
        // Help wins over the rest of the line (nothing is started, nothing is required).
        let serve = try run(["serve", "--port", "1", "--help"])
        XCTAssertEqual(serve.status, 0)
        XCTAssertTrue(serve.stdout.hasPrefix("usage: agent-host serve"), serve.stdout)
        let topic = try run(["help", "call"])
        XCTAssertEqual(topic.status, 0)
        XCTAssertTrue(topic.stdout.hasPrefix("usage: agent-host call"), topic.stdout)
    }

    func testAnUnknownOptionIsBadUsageWithAOneLineReason() throws {
        for arguments in [["chat", "--bogus"], ["serve", "--bogus"], ["call", "--bogus"], ["plugins", "list", "--bogus"],
                          ["demo", "--bogus"], ["eval", "routing", "x.tsv", "--bogus"], ["hash-key", "--bogus"], ["version", "--bogus"],
                          ["fleet", "status", "--bogus"]] {
            let result = try run(arguments)
            let line = arguments.joined(separator: " ")
            XCTAssertEqual(result.status, 2, "\(line): \(result.stdout)")
            XCTAssertEqual(result.stdout, "", line)
            XCTAssertTrue(result.stderr.hasPrefix("agent-host: unknown option --bogus for "), "\(line): \(result.stderr)")
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "one line: \(result.stderr)")
        }
        let unknown = try run(["frobnicate", "--help"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertEqual(unknown.stderr, "agent-host: unknown command 'frobnicate' (agent-host --help lists the commands)\n")
        // `fleet status` needs its Redis; one it cannot reach is a runtime failure (1), said in one line.
        XCTAssertEqual(try run(["fleet", "status"]).status, 2)
        let unreachable = try run(["fleet", "status", "--redis", "redis://127.0.0.1:1"])
        XCTAssertEqual(unreachable.status, 1, unreachable.stdout)
        XCTAssertTrue(unreachable.stderr.hasPrefix("agent-host: cannot read the fleet from redis://127.0.0.1:1: "), unreachable.stderr)
        XCTAssertEqual(unreachable.stderr.filter { $0 == "\n" }.count, 1, "one line: \(unreachable.stderr)")
        // A key that looks like an option is hashed when it follows "--".
        let dashed = try run(["hash-key", "--", "--bogus"])
        XCTAssertEqual(dashed.status, 0, dashed.stderr)
        XCTAssertTrue(dashed.stdout.hasPrefix("sha256:"), dashed.stdout)
    }
}
