import HostSupport
import Foundation
import Host
import HostClient
import HostOrchestration
import HostPlugins

/// A full text turn — route → handoff → tool → reply — through agent-host in-process, against the
/// same conversation in the OpenAI Agents SDK driven by an offline scripted model
/// (bench/agents-sdk). Both sides use tools returning canned strings for the ratio; ours is also
/// measured with the real commerce tools over HTTP to the reference backend.
struct TurnBenchmark {
    let turns: Int
    let includeSDK: Bool
    var includeRealTools = true
    static let utterance = "I need a refund for order ORD-12345"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Figures {
        let name: String
        let turnsPerSecond: Double
        let p50: Double
        let p99: Double
    }

    func run() throws {
        print("agent-host-bench turns: \"\(Self.utterance)\" as a fresh session's first turn, \(turns) turns per side, sequential")
        var rows: [Figures] = []
        let canned = try measureHost(name: "agent-host, canned tools", configure: ReferenceDeployment.useCannedTools)
        rows.append(canned)
        if includeRealTools { rows.append(try measureHost(name: "agent-host, real tools + backend", backend: .startReference) { _ in }) }
        var sdk: Figures?
        if includeSDK {
            sdk = try measureSDK()
            rows.append(sdk!)
        }
        print("")
        print("side                                   turns/s      p50 ms      p99 ms")
        for row in rows {
            print(row.name.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%10.0f  %10.3f  %10.3f", row.turnsPerSecond, row.p50, row.p99))
        }
        if let sdk {
            print(String(format: "\nratio (canned tools): agent-host turn rate = %.1fx the Agents SDK's; p99 %.3f ms vs %.3f ms", canned.turnsPerSecond / sdk.turnsPerSecond, canned.p99, sdk.p99))
        }
        print("targets: turn rate >= 20x the SDK's, p99 < 2 ms with canned tools (issue #3)")
    }

    /// `backend`: where the tools' backend is; canned tools never call one.
    func measureHost(name: String, backend: LocalDeployment.Backend = .url("http://127.0.0.1:9"),
                     configure: (inout TenantConfiguration) -> Void) throws -> Figures {
        let deployment: LocalDeployment
        do {
            deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: backend,
                                             apiKey: "demo-key", configure: configure)
        } catch {
            throw Failure(description: error.description)
        }
        defer { deployment.shutdown() }
        // Check once that the turn is the one we mean to measure.
        let sample = runTurn(deployment, caller: "+15550000000")
        guard sample.events.contains(where: { if case .handoff(_, "Refund Agent", _) = $0 { return true } else { return false } }),
              sample.events.contains(where: { if case .toolCall(_, "lookup_order", _, _) = $0 { return true } else { return false } })
        else { throw Failure(description: "\(name): the turn did not route to Refund Agent and call lookup_order: \(sample.events.map(\.json))") }

        _ = runChain(deployment, count: min(200, turns))  // warm-up
        let start = DispatchTime.now().uptimeNanoseconds
        var latencies = runChain(deployment, count: turns)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        latencies.sort()
        return Figures(name: name, turnsPerSecond: Double(turns) / seconds,
                       p50: latencies[latencies.count / 2], p99: latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
    }

    /// `count` fresh sessions one after another, each started from the loop thread when the
    /// previous turn ended — the way a server's input arrives — so the figures are the host's
    /// and the plugins' work, not this process's thread wake-ups. Returns each turn's latency
    /// (caller's input to `turn_end`) in milliseconds.
    func runChain(_ deployment: LocalDeployment, count: Int) -> [Double] {
        let chain = TurnChain(deployment: deployment, count: count, utterance: Self.utterance)
        deployment.loop.execute { chain.next() }
        chain.done.wait()
        return chain.latencies
    }

    /// One fresh session's first turn; latency from the caller's input to `turn_end`.
    func runTurn(_ deployment: LocalDeployment, caller: String) -> (milliseconds: Double, events: [ConversationEvent]) {
        let done = DispatchSemaphore(value: 0)
        let collected = EventList()
        let conversation = deployment.conversation(caller: caller) { event in
            collected.append(event)
            if event.type == "turn_end" { done.signal() }
        }
        conversation.start()
        let begin = DispatchTime.now().uptimeNanoseconds
        conversation.send(Self.utterance)
        done.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6
        conversation.end(reason: "caller_hangup")
        return (elapsed, collected.all)
    }

    /// Runs bench/agents-sdk/run.sh (a throwaway virtualenv with openai-agents) and reads its JSON line.
    func measureSDK() throws -> Figures {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("bench/agents-sdk/run.sh").path
        // Installs openai-agents in a virtualenv on its first run: a generous deadline.
        let process = try ChildCommand.run("/bin/bash", [script, "--turns", String(turns)], timeoutSeconds: 1_800)
        let lines = process.stdout.split(separator: "\n")
        guard process.status == 0, let last = lines.last,
              let json = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
              let rate = json["turns_per_second"] as? Double, let p50 = json["p50_ms"] as? Double, let p99 = json["p99_ms"] as? Double
        else { throw Failure(description: "the Agents SDK side failed (exit \(process.status)): \(lines.suffix(5).joined(separator: " | "))") }
        return Figures(name: "OpenAI Agents SDK \(json["version"] as? String ?? ""), canned", turnsPerSecond: rate, p50: p50, p99: p99)
    }
}

/// Runs sessions back to back on the loop thread (see runChain).
final class TurnChain: @unchecked Sendable {
    // @unchecked: touched only on the deployment's loop thread, then read after `done`.
    let deployment: LocalDeployment
    let count: Int
    let utterance: String
    let done = DispatchSemaphore(value: 0)
    var latencies: [Double] = []
    private var current: Conversation?
    private var began: UInt64 = 0

    init(deployment: LocalDeployment, count: Int, utterance: String) {
        self.deployment = deployment
        self.count = count
        self.utterance = utterance
        latencies.reserveCapacity(count)
    }

    func next() {
        current?.end(reason: "caller_hangup")
        guard latencies.count < count else { done.signal(); return }
        let conversation = deployment.conversation(caller: "+1555\(latencies.count)") { [self] event in
            guard event.type == "turn_end" else { return }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
            deployment.loop.execute { self.next() }
        }
        current = conversation
        conversation.start()
        began = DispatchTime.now().uptimeNanoseconds
        conversation.send(utterance)
    }
}
