import HostSupport
import Foundation
import HostNet
import HostPlugins
import PluginABI
import Synchronization

/// One tool call in-process vs across the plugin runner boundary (a socket round trip from the
/// calling loop), calls/s through one runner, host and runner CPU per call, and the runner's memory.
/// Run in release: `swift build -c release && .build/release/agent-host-bench isolation`.
struct IsolationBenchmark {
    let calls: Int

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        let plugins = try Self.cEchoPlugin()
        let catalog = PluginLoader(directories: [plugins] + PluginLoader.defaultDirectories()).loadAll()
        let echoID = "com.agenthost.fixtures.frozen-echo"
        guard let cPlugin = catalog.plugin(providing: echoID) else { throw Failure(description: "the C echo fixture did not load: \(catalog.refused)") }
        // Calls are made from a host loop, as a session makes them; the runner lives on that loop.
        let loop = EventLoop(name: "bench-host")
        loop.start()
        defer { loop.stop() }
        let services = HostServices(loop: loop)
        defer { services.shutdown() }
        let inProcess = try PluginInstance.create(echoID, from: cPlugin, tenantID: "bench", services: services)
        let isolated = try IsolatedInstance.create(echoID, from: cPlugin, tenantID: "bench", services: services)
        let payload = ABIBenchmark.payload
        let runnerPID = services.runners.processes.first { $0.tenant == "bench" }?.pid

        print("agent-host-bench isolation: \(calls) sequential calls per case, then \(calls * 5) per throughput case")
        print("plugin: C echo tool (Tests/PluginABITests/Fixtures/plugins/frozen_echo.c), \(payload.utf8.count) B JSON arguments echoed back")
        print("calls are made on a host loop thread (as a session makes them), each started when the previous one's completion arrived")
        print("")
        print("case                               p50 us     p99 us   host CPU us/call   runner CPU us/call")
        for (name, instance) in [("in-process", inProcess as any ComponentInstance), ("isolated (plugin runner)", isolated)] {
            let hostBefore = IsolationTurnBenchmark.ownCPU(), runnerBefore = runnerPID.map(IsolationTurnBenchmark.cpu) ?? 0
            let samples = CallChain.run(instance, services, payload, loop: loop, total: calls + calls / 10, window: 1).latencies
            let hostCPU = (IsolationTurnBenchmark.ownCPU() - hostBefore) / Double(calls + calls / 10)
            let runnerCPU = ((runnerPID.map(IsolationTurnBenchmark.cpu) ?? 0) - runnerBefore) / Double(calls + calls / 10)
            let measured = Array(samples.dropFirst(calls / 10)).sorted()  // the first 10% warm up
            print(name.padding(toLength: 32, withPad: " ", startingAt: 0)
                  + String(format: "%9.1f  %9.1f  %17.1f  %19.1f", measured[measured.count / 2], measured[measured.count * 99 / 100], hostCPU,
                           instance is IsolatedInstance ? runnerCPU : 0))
        }
        print("")
        for window in [1, 64] {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = CallChain.run(isolated, services, payload, loop: loop, total: calls * 5, window: window)
            let rate = Double(calls * 5) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            print("isolated calls/s through one runner, \(window) in flight: " + String(format: "%.0f", rate))
        }
        print("")
        var swiftRunner: IsolatedInstance?
        if let samples = catalog.plugin(providing: "com.agenthost.samples.echo") {
            swiftRunner = try IsolatedInstance.create("com.agenthost.samples.echo", from: samples, tenantID: "bench-swift", services: services)
            _ = CallChain.run(swiftRunner!, services, payload, loop: loop, total: 100, window: 1)
        }
        for process in services.runners.processes.sorted(by: { $0.plugin < $1.plugin }) {
            print("runner RSS, \(process.plugin): \(Self.rss(process.pid)) KiB (pid \(process.pid))")
        }
        _ = swiftRunner
    }

    /// Tool calls made on `loop`'s thread, `window` at a time, each completion starting the next
    /// one on that thread (a completion arriving on another thread hops there first, as a
    /// session's does). Latencies are microseconds per call, in call order, until the completion
    /// is on the loop's thread.
    final class CallChain: @unchecked Sendable {
        // @unchecked: used on the loop's thread only, except `done` (a semaphore).
        let loop: EventLoop
        let instance: any ComponentInstance
        let services: HostServices
        let payload: String
        let total: Int
        var issued = 0
        var completed = 0
        var latencies: [Double]
        /// Set while `invokeTool` runs: a completion inside it must not start the next call
        /// (that would recurse once per call); the issuing loop goes on instead.
        var insideInvoke = false
        var completedInside = 0
        let done = DispatchSemaphore(value: 0)

        init(_ instance: any ComponentInstance, _ services: HostServices, _ payload: String, loop: EventLoop, total: Int) {
            self.loop = loop
            self.instance = instance
            self.services = services
            self.payload = payload
            self.total = total
            latencies = [Double](repeating: 0, count: total)
        }

        static func run(_ instance: any ComponentInstance, _ services: HostServices, _ payload: String, loop: EventLoop,
                        total: Int, window: Int) -> CallChain {
            let chain = CallChain(instance, services, payload, loop: loop, total: total)
            loop.execute { chain.issue(window) }
            chain.done.wait()
            return chain
        }

        func issue(_ count: Int) {
            var wanted = count
            while wanted > 0 && issued < total {
                wanted -= 1
                let index = issued
                issued += 1
                let start = DispatchTime.now().uptimeNanoseconds
                insideInvoke = true
                do {
                    try instance.invokeTool(callID: services.router.makeID(), sessionID: "bench", callerID: "+15550000000", argumentsJSON: payload) { [self] _, _ in
                        if loop.inLoopThread { finished(index, start) } else { loop.execute { self.finished(index, start) } }
                    }
                } catch { fatalError("benchmark call refused: \(error)") }
                insideInvoke = false
                wanted += completedInside
                completedInside = 0
            }
        }

        private func finished(_ index: Int, _ start: UInt64) {
            latencies[index] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
            completed += 1
            if completed == total { done.signal(); return }
            if insideInvoke { completedInside += 1 } else { issue(1) }
        }
    }

    static func rss(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    /// Builds the C echo fixture with cc into a temporary directory (the benchmark runs from a checkout).
    static func cEchoPlugin() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let fixtures = root + "/Tests/PluginABITests/Fixtures"
        let directory = NSTemporaryDirectory() + "agent-host-bench-isolation-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cc = try ChildCommand.run("cc", ["-std=c11", "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-I", fixtures + "/abi-1.0/include",
                                             "-o", directory + "/libfrozen_echo.so", fixtures + "/plugins/frozen_echo.c"], timeoutSeconds: 120)
        guard cc.status == 0 else { throw Failure(description: "cc could not build \(fixtures)/plugins/frozen_echo.c: \(cc.stderr)") }
        return directory
    }
}
