import Foundation
import Host
import HostNet
import HostPlugins
import HostServer
import HostSessions
import HostTenancy

/// `--loops N` (docs/benchmarks.md, "Loops"): the benchmarked host serves on N loops, as
/// `server.loops: N` does. Passed to the voice host child through the environment.
enum BenchLoops {
    static let variable = "AGENT_HOST_BENCH_LOOPS"

    /// `--redis shared`: every loop's Redis commands through the first loop's connection (as before
    /// a connection per loop), to measure what the per-loop connections change in the same build.
    static let redisVariable = "AGENT_HOST_BENCH_REDIS"

    static var count: Int { Int(ProcessInfo.processInfo.environment[variable] ?? "").map { max(1, $0) } ?? 1 }

    /// True unless `--redis shared` (HostLoops+Redis: a Redis connection per loop).
    static var redisPerLoop: Bool { ProcessInfo.processInfo.environment[redisVariable] != "shared" }

    /// "per-loop" or "shared", for the benchmarks' headers.
    static var redisDescription: String { redisPerLoop ? "a connection per loop" : "shared (the first loop's connection)" }

    /// Takes `--loops N` and `--redis shared|per-loop` out of the arguments into the environment (children inherit them).
    static func take(from arguments: [String]) {
        if let index = arguments.firstIndex(of: "--redis"), index + 1 < arguments.count, ["shared", "per-loop"].contains(arguments[index + 1]) {
            setenv(redisVariable, arguments[index + 1], 1)
        }
        guard let index = arguments.firstIndex(of: "--loops"), index + 1 < arguments.count, let n = Int(arguments[index + 1]), n >= 1 else { return }
        setenv(variable, String(n), 1)
    }

    /// The other loops beside `first` (listening on `port`, started with `reusePort` when count > 1).
    static func start(first: HostServer, settings: HostServer.Settings, port: Int, services: HostServices,
                      tenants: [ServedTenant], defaultTenant: String, store: SessionPersistence) throws -> HostLoops? {
        do {
            return try HostLoops.start(count: count, first: first, settings: settings, port: port, services: services,
                                       tenants: tenants, defaultTenant: defaultTenant, store: store, probe: { (nil, [:]) },
                                       redisPerLoop: redisPerLoop)
        } catch {
            throw ServerBenchmark.Failure(description: error.description)
        }
    }
}

/// The longest stall of any of the host's loops (a `StallProbe` on each), and of an idle control
/// loop beside them.
///
/// The control loop does nothing but its probe's 1 ms timer, in the same process, over the same
/// interval: how late it fires is the platform's own wake-up latency under the same load (the
/// kernel placing threads on two shared cores, and on this machine a hypervisor that can leave a
/// vCPU unscheduled: an idle machine's 1 ms sleeper runs up to 2-7 ms late, docs/benchmarks.md).
/// A host loop's stall near the control's is not the host's work.
final class LoopsStallProbe: Sendable {
    let probes: [StallProbe]
    private let controlLoop: EventLoop
    private let control: StallProbe

    init(loops: [EventLoop]) {
        probes = loops.map { StallProbe(loop: $0) }
        controlLoop = EventLoop(name: "stall-control")
        controlLoop.start()
        control = StallProbe(loop: controlLoop)
    }

    var longestMilliseconds: Double { probes.map(\.longestMilliseconds).max() ?? 0 }

    /// Which loop stalled longest and how much of that stall its thread was on the CPU (the rest
    /// it waited for a core, preempted, or blocked in the kernel); each loop's longest; the control's.
    var longestSplit: String {
        guard let index = probes.indices.max(by: { probes[$0].longestMilliseconds < probes[$1].longestMilliseconds }) else { return "" }
        let split = probes[index].longestOnCPUMilliseconds
        return String(format: "longest stall on loop-%d: its thread ran %.1f ms of that %.1f ms interval (off the CPU %.1f ms)",
                      index, split.ran, split.interval, max(0, split.interval - split.ran))
            + (probes.count > 1 ? "; each loop " + probes.map { String(format: "%.1f", $0.longestMilliseconds) }.joined(separator: " / ") + " ms" : "")
            + String(format: "; an idle control loop beside them %.1f ms", control.longestMilliseconds)
    }

    func reset() {
        for probe in probes { probe.reset() }
        control.reset()
    }

    func stop() {
        for probe in probes { probe.stop() }
        control.stop()
        controlLoop.stop()
    }
}
