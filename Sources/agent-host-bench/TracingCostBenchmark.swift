import Foundation
import Host
import HostNet
import HostPlugins
import HostSupport

/// What tracing costs a turn (issue #14; docs/benchmarks.md "Tracing"): the same full text turn as
/// `turns` (route → handoff → lookup_order → reply, canned tools, a fresh session each) with
/// tracing off, then on with every trace sampled and exported over OTLP/HTTP protobuf to a local
/// sink, then on with nothing sampled. Each side reports turns/s, latency, and the process's CPU
/// per turn — the figure that holds the exporter's work too, since the batch processor and the
/// HTTP export run on swift-otel's own tasks, not the loop. The sink is in this process and only
/// counts what it is sent (it does not decode), so its share of the CPU is small and included.
struct TracingCostBenchmark {
    let turns: Int

    struct Row {
        let name: String
        let turnsPerSecond: Double
        let p50: Double
        let p99: Double
        let cpuMicrosecondsPerTurn: Double
        let exports: Int
        let exportedBytes: Int
    }

    func run() throws {
        print("agent-host-bench tracing: \"\(TurnBenchmark.utterance)\" as a fresh session's first turn, canned tools, \(turns) turns per side")
        let sink = try OTLPSink()
        defer { sink.stop() }
        var rows: [Row] = []
        rows.append(try measure("tracing off", tracing: nil, sink: sink))
        rows.append(try measure("tracing on, sample_ratio 1", tracing: 1.0, sink: sink))
        rows.append(try measure("tracing on, sample_ratio 0", tracing: 0.0, sink: sink))
        print("")
        print("side                              turns/s     p50 ms     p99 ms   CPU µs/turn   exports   KiB sent")
        for row in rows {
            print(row.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: "%11.0f %10.3f %10.3f %13.1f %9d %10.1f", row.turnsPerSecond, row.p50, row.p99,
                           row.cpuMicrosecondsPerTurn, row.exports, Double(row.exportedBytes) / 1024))
        }
        let off = rows[0], on = rows[1]
        print(String(format: "\ncost of tracing every turn: +%.1f µs of CPU per turn (%.0f%%), p50 %+.3f ms, p99 %+.3f ms",
                     on.cpuMicrosecondsPerTurn - off.cpuMicrosecondsPerTurn,
                     100 * (on.cpuMicrosecondsPerTurn / off.cpuMicrosecondsPerTurn - 1), on.p50 - off.p50, on.p99 - off.p99))
    }

    /// `tracing`: the sample ratio, or nil for tracing off.
    private func measure(_ name: String, tracing ratio: Double?, sink: OTLPSink) throws -> Row {
        var otel: OTelTracing?
        if let ratio {
            var settings = TelemetrySettings(otlpEndpoint: sink.endpoint)
            settings.sampleRatio = ratio
            settings.exportIntervalMilliseconds = 200
            settings.serviceName = "agent-host-bench"
            otel = try OTelTracing(settings, logger: Logger(minimum: .error))
        }
        let deployment: LocalDeployment
        do {
            deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: .url("http://127.0.0.1:9"),
                                             apiKey: "demo-key", tracing: otel?.tracing ?? .disabled, configure: ReferenceDeployment.useCannedTools)
        } catch {
            throw TurnBenchmark.Failure(description: "\(error)")
        }
        defer { deployment.shutdown() }
        let bench = TurnBenchmark(turns: turns, includeSDK: false)
        _ = bench.runChain(deployment, count: min(500, turns))  // warm-up
        sink.reset()
        let cpuBefore = IsolationTurnBenchmark.ownCPU()
        let start = DispatchTime.now().uptimeNanoseconds
        var latencies = bench.runChain(deployment, count: turns)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // The last batch is part of the cost: flush it before reading the CPU clock.
        otel?.shutdown(seconds: 10)
        let cpu = IsolationTurnBenchmark.ownCPU() - cpuBefore
        latencies.sort()
        let (exports, bytes) = sink.counts
        if let ratio, ratio > 0, exports == 0 { throw TurnBenchmark.Failure(description: "\(name): no span reached the sink") }
        return Row(name: name, turnsPerSecond: Double(turns) / seconds, p50: latencies[latencies.count / 2],
                   p99: latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
                   cpuMicrosecondsPerTurn: cpu / Double(turns), exports: exports, exportedBytes: bytes)
    }
}

/// Accepts OTLP/HTTP exports (`POST /v1/traces`) and counts them; answers as a collector does
/// (200, an empty `ExportTraceServiceResponse`). Not a decoder: the tests' OTLPReceiver checks content.
final class OTLPSink: @unchecked Sendable {
    // @unchecked: the counters are guarded by `lock`; the server runs on its own loop.
    private let loop = EventLoop(name: "otlp-sink")
    private var server: HTTPServer!
    private let lock = NSLock()
    private var exports = 0
    private var bytes = 0

    init() throws {
        loop.start()
        server = HTTPServer(loop: loop) { [weak self] request, respond in
            guard let self, request.method == "POST", request.path == "/v1/traces" else { return respond(HTTPResponse(status: 404)) }
            lock.withLock { exports += 1; bytes += request.body.count }
            respond(HTTPResponse(status: 200, headers: ["Content-Type": "application/x-protobuf"]))
        }
        try server.start()
    }

    var endpoint: String { "http://127.0.0.1:\(server.port)" }
    var counts: (exports: Int, bytes: Int) { lock.withLock { (exports, bytes) } }
    func reset() { lock.withLock { exports = 0; bytes = 0 } }

    func stop() {
        server.stop()
        loop.stop()
    }
}
