import Foundation
import Glibc
import Host
import HostPlugins

/// A full refund conversation turn (Triage → Refund → lookup_order / process_refund against the
/// reference support-backend, as `agent-host-bench turns` runs it) with every department and tool
/// in-process vs every one isolated in plugin runners. Reports the host's CPU per turn (this
/// process's user + system time: the host's loops and the benchmark's driver, not the runners or
/// the backend, which are other processes) and, separately, the runners' CPU per turn.
struct IsolationTurnBenchmark {
    let turns: Int

    struct Row {
        let name: String
        let turnsPerSecond: Double
        let p50: Double
        let p99: Double
        let hostCPUMicroseconds: Double
        let runnerCPUMicroseconds: Double
        let runners: Int
    }

    func run() throws {
        print("full refund turn (\"\(TurnBenchmark.utterance)\", a fresh session each, real tools + reference backend), \(turns) turns per case, sequential")
        let rows = [try measure(isolated: false), try measure(isolated: true)]
        print("")
        print("case                          turns/s    p50 ms    p99 ms   host CPU us/turn   runners CPU us/turn")
        for row in rows {
            print(row.name.padding(toLength: 28, withPad: " ", startingAt: 0)
                  + String(format: "%9.0f %9.3f %9.3f %18.0f %21.0f", row.turnsPerSecond, row.p50, row.p99, row.hostCPUMicroseconds, row.runnerCPUMicroseconds))
        }
        let ratio = rows[1].hostCPUMicroseconds / rows[0].hostCPUMicroseconds
        print(String(format: "host CPU per turn, isolated / in-process: %.2fx (target <= 1.5x, issue #12); %d runners", ratio, rows[1].runners))
        print(String(format: "all CPU per turn (host + runners), isolated / in-process: %.2fx",
                     (rows[1].hostCPUMicroseconds + rows[1].runnerCPUMicroseconds) / rows[0].hostCPUMicroseconds))
    }

    func measure(isolated: Bool) throws -> Row {
        let name = isolated ? "every plugin isolated" : "every plugin in-process"
        let deployment: LocalDeployment
        do {
            deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: .startReference, apiKey: "demo-key") { configuration in
                if isolated { configuration.defaultIsolation = PluginIsolation(mode: .process) }
            }
        } catch {
            throw IsolationBenchmark.Failure(description: error.description)
        }
        defer { deployment.shutdown() }
        let driver = TurnBenchmark(turns: turns, includeSDK: false)
        let sample = driver.runTurn(deployment, caller: "+15550000000")
        guard sample.events.contains(where: { if case .handoff(_, "Refund Agent", _) = $0 { true } else { false } }),
              sample.events.contains(where: { if case .toolCall(_, "lookup_order", _, _) = $0 { true } else { false } })
        else { throw IsolationBenchmark.Failure(description: "\(name): the turn did not route to Refund Agent and call lookup_order: \(sample.events.map(\.json))") }
        let runners = deployment.services.runners.processes.map(\.pid)
        if isolated && runners.isEmpty { throw IsolationBenchmark.Failure(description: "\(name): no plugin runner is running") }

        _ = driver.runChain(deployment, count: min(200, turns))  // warm-up
        let hostBefore = Self.ownCPU(), runnersBefore = runners.map(Self.cpu)
        let start = DispatchTime.now().uptimeNanoseconds
        var latencies = driver.runChain(deployment, count: turns)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let hostCPU = Self.ownCPU() - hostBefore
        let runnerCPU = zip(runners.map(Self.cpu), runnersBefore).reduce(0) { $0 + ($1.0 - $1.1) }
        latencies.sort()
        return Row(name: name, turnsPerSecond: Double(turns) / seconds, p50: latencies[latencies.count / 2],
                   p99: latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
                   hostCPUMicroseconds: hostCPU / Double(turns), runnerCPUMicroseconds: runnerCPU / Double(turns), runners: runners.count)
    }

    /// This process's user + system CPU time in microseconds (children excluded).
    static func ownCPU() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    }

    /// Another process's user + system CPU time in microseconds, from /proc/PID/stat.
    static func cpu(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) * 1e6 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
