import Foundation
import HostPlugins
import PluginABI
import Synchronization

/// One tool call in-process vs across the plugin runner boundary (socket round trip, two context
/// switches), calls/s through one runner with many calls in flight, and the runner's memory.
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
        let services = HostServices()
        let inProcess = try PluginInstance.create(echoID, from: cPlugin, tenantID: "bench", services: services)
        let isolated = try IsolatedInstance.create(echoID, from: cPlugin, tenantID: "bench", services: services)
        let payload = ABIBenchmark.payload

        print("agent-host-bench isolation: \(calls) sequential calls per case, then \(calls * 5) pipelined")
        print("plugin: C echo tool (Tests/PluginABITests/Fixtures/plugins/frozen_echo.c), \(payload.utf8.count) B JSON arguments echoed back")
        print("")
        print("case                               p50 us     p99 us")
        for (name, instance) in [("in-process", inProcess as any ComponentInstance), ("isolated (plugin runner)", isolated)] {
            let samples = latencies(instance, services, payload)
            print(name.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%9.1f  %9.1f", samples[samples.count / 2], samples[samples.count * 99 / 100]))
        }
        print("")
        for window in [1, 64] {
            let rate = throughput(isolated, services, payload, window: window)
            print("isolated calls/s through one runner, \(window) in flight: " + String(format: "%.0f", rate))
        }
        print("")
        var swiftRunner: IsolatedInstance?
        if let samples = catalog.plugin(providing: "com.agenthost.samples.echo") {
            swiftRunner = try IsolatedInstance.create("com.agenthost.samples.echo", from: samples, tenantID: "bench-swift", services: services)
            _ = latencies(swiftRunner!, services, payload, count: 100)
        }
        for process in services.runners.processes.sorted(by: { $0.plugin < $1.plugin }) {
            print("runner RSS, \(process.plugin): \(Self.rss(process.pid)) KiB (pid \(process.pid))")
        }
        _ = swiftRunner
    }

    /// Microseconds per call, sorted.
    func latencies(_ instance: any ComponentInstance, _ services: HostServices, _ payload: String, count: Int? = nil) -> [Double] {
        let n = count ?? calls
        var samples: [Double] = []
        samples.reserveCapacity(n)
        let done = DispatchSemaphore(value: 0)
        for i in 0..<(n + n / 10) {
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                try instance.invokeTool(callID: services.router.makeID(), sessionID: "bench", callerID: "+15550000000", argumentsJSON: payload) { _, _ in done.signal() }
            } catch { fatalError("benchmark call refused: \(error)") }
            done.wait()
            if i >= n / 10 { samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000) }  // first 10% warm up
        }
        return samples.sorted()
    }

    /// Completed calls per second with `window` calls in flight.
    func throughput(_ instance: any ComponentInstance, _ services: HostServices, _ payload: String, window: Int) -> Double {
        let total = calls * 5
        let slots = DispatchSemaphore(value: window)
        let finished = DispatchSemaphore(value: 0)
        let completed = Atomic<Int>(0)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<total {
            slots.wait()
            do {
                try instance.invokeTool(callID: services.router.makeID(), sessionID: "bench", callerID: "+15550000000", argumentsJSON: payload) { _, _ in
                    slots.signal()
                    if completed.wrappingAdd(1, ordering: .relaxed).newValue == total { finished.signal() }
                }
            } catch { fatalError("benchmark call refused: \(error)") }
        }
        finished.wait()
        return Double(total) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
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
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-std=c11", "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-I", fixtures + "/abi-1.0/include",
                        "-o", directory + "/libfrozen_echo.so", fixtures + "/plugins/frozen_echo.c"]
        try cc.run()
        cc.waitUntilExit()
        guard cc.terminationStatus == 0 else { throw Failure(description: "cc could not build \(fixtures)/plugins/frozen_echo.c") }
        return directory
    }
}
