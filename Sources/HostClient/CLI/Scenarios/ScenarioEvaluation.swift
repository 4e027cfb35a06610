import Foundation
import Host
import HostNet
import HostPlugins
import HostSupport

/// `agent-host eval scenarios FILE.yaml…`: every scenario of every file as a fresh session on
/// one channel, its turns checked as they finish (docs/evals.md). Prints a line per turn, every
/// unmet expectation under it, and a summary line; the caller exits 1 when anything failed.
public struct ScenarioEvaluation {
    public enum Channel: Sendable {
        /// The reference plugins in this process (`--local`).
        case local
        /// A served host's `POST /v1/chat` (`--url`).
        case chat(url: String)
        /// A served host's voice socket, each line synthesised (`--url … --voice`).
        case voice(url: String)

        var isVoice: Bool { if case .voice = self { true } else { false } }

        var name: String {
            switch self {
            case .local: "text, in-process"
            case .chat(let url): "text, \(url)"
            case .voice(let url): "voice, \(url)"
            }
        }
    }

    public struct TurnResult: Sendable {
        public let file: String
        public let scenario: String
        public let index: Int
        public let say: String
        public let failures: [String]
        public let latencyMilliseconds: Int?
        public let seconds: Double
        public var passed: Bool { failures.isEmpty }
    }

    public var channel: Channel = .local
    public var tenant: String?
    public var apiKey: String?
    public var pluginDirectories: [String] = PluginLoader.defaultDirectories()
    /// Where per-turn lines go as they happen (stdout in the CLI).
    public var log: (String) -> Void = { print($0); StandardOutput.flush() }

    public init() {}

    /// Runs every scenario; throws only when the channel cannot be set up at all.
    public func run(_ files: [ScenarioFile]) throws(LocalChat.Failure) -> [TurnResult] {
        var deployment: LocalDeployment?
        if case .local = channel {
            if let tenant, tenant != ReferenceDeployment.tenantID {
                throw LocalChat.Failure(description: "unknown tenant '\(tenant)': --local serves only the built-in '\(ReferenceDeployment.tenantID)' tenant", exitCode: 2)
            }
            do { deployment = try LocalDeployment(pluginDirectories: pluginDirectories) } catch {
                throw LocalChat.Failure(description: error.description, exitCode: error.exitCode)
            }
        }
        let loop = EventLoop(name: "eval-client")
        loop.start()
        let client = HTTPClient(loop: loop)
        defer {
            client.close()
            loop.stop()
            deployment?.shutdown()
        }
        var results: [TurnResult] = []
        for file in files {
            for scenario in file.scenarios {
                log("scenario \(file.path): \(scenario.name)")
                let caller = scenario.caller ?? Self.freshCaller()
                let session: ScenarioSession
                switch channel {
                case .local: session = LocalScenarioSession(deployment: deployment!, caller: caller)
                case .chat(let url): session = ChatScenarioSession(client: client, url: url, caller: caller, tenant: tenant, apiKey: apiKey)
                case .voice(let url):
                    session = VoiceScenarioSession(loop: loop, socketURL: try VoiceCallClient.voiceURL(base: url, caller: caller, tenant: tenant), token: apiKey)
                }
                for (index, turn) in scenario.turns.enumerated() {
                    let start = ContinuousClock.now
                    let seen = session.run(turn, last: index == scenario.turns.count - 1)
                    let elapsed = ContinuousClock.now - start
                    let result = TurnResult(file: file.path, scenario: scenario.name, index: index + 1, say: channel.isVoice ? turn.spoken : turn.say,
                                            failures: TurnCheck.failures(turn.expect.on(voice: channel.isVoice), seen), latencyMilliseconds: seen.latencyMilliseconds,
                                            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                    log(Self.line(result))
                    results.append(result)
                }
                session.hangUp()
            }
        }
        return results
    }

    /// A number no earlier run used, so the host finds no stored record ("returning") for it.
    static func freshCaller() -> String {
        "+1555" + String(format: "%07d", Int.random(in: 0..<10_000_000))
    }

    static func line(_ result: TurnResult) -> String {
        let latency = result.latencyMilliseconds.map { " (\($0) ms)" } ?? ""
        var out = "  \(result.passed ? "ok  " : "FAIL") turn \(result.index): \(result.say)\(latency)"
        for failure in result.failures { out += "\n         - \(failure)" }
        return out
    }

    /// `eval scenarios: 6/6 scenarios passed, 15/15 turns (text, in-process) in 12.3 s`, then
    /// the failed turns named.
    public func summary(_ results: [TurnResult], seconds: Double) -> String {
        let scenarios = Dictionary(grouping: results) { "\($0.file)\u{0}\($0.scenario)" }
        let passedScenarios = scenarios.values.filter { $0.allSatisfy(\.passed) }.count
        var out = String(format: "eval scenarios: %d/%d scenarios passed, %d/%d turns (%@) in %.1f s",
                         passedScenarios, scenarios.count, results.filter(\.passed).count, results.count, channel.name, seconds)
        let failed = results.filter { !$0.passed }
        if !failed.isEmpty {
            out += "\nFAILED: " + failed.map { "\($0.scenario) turn \($0.index)" }.joined(separator: ", ")
        }
        return out
    }
}
