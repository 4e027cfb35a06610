import Foundation
import Host
import HostNet
import Synchronization

/// Text turns through the real server over loopback: POST /v1/chat and the chat WebSocket with
/// 1, 50 and 500 concurrent clients; the longest stall of the server's loop; the session store.
/// Each client runs sessions back to back, one turn each ("I need a refund for order ORD-12345":
/// triage, handoff, lookup_order, reply) with canned tools, so the figures are the host's.
struct ServerBenchmark {
    let clientCounts: [Int]
    let turnsPerRun: Int
    /// Builds the session store for the server (Redis when given a URL).
    let persistence: HostRunner.PersistenceFactory
    let storeDescription: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        let deployment: LocalDeployment
        do {
            deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: .url("http://127.0.0.1:9"),
                                             apiKey: "unused") { configuration in
                configuration.plugins = configuration.plugins.filter { !$0.hasPrefix("com.agenthost.commerce.") } + [
                    "com.agenthost.canned.lookup-order", "com.agenthost.canned.check-billing", "com.agenthost.canned.process-refund",
                    "com.agenthost.canned.search-faq", "com.agenthost.canned.escalate",
                ]
            }
        } catch {
            throw Failure(description: error.description)
        }
        defer { deployment.shutdown() }
        let (store, _) = try persistence(deployment.loop, deployment.services)
        var settings = HostServer.Settings()
        settings.http.port = 0
        settings.maxSessions = 10_000
        let server = HostServer(settings: settings, loop: deployment.loop, services: deployment.services,
                                tenants: [ServedTenant(runtime: deployment.tenant, maxConcurrentSessions: 10_000, maxSessionsPerCaller: 10)],
                                defaultTenant: deployment.tenant.id, persistence: store, verifyKey: { _, _ in false })
        guard let started = deployment.loop.submitAndWait({ Result { try server.start() } }) else { throw Failure(description: "loop not running") }
        let port = try started.get()
        defer { server.stop() }
        let stalls = StallProbe(loop: deployment.loop)

        let clientLoop = EventLoop(name: "bench-clients")
        clientLoop.start()
        defer { clientLoop.stop() }
        let http = HTTPClient(loop: clientLoop)
        defer { http.close() }

        print("agent-host-bench server: one-turn sessions over loopback, canned tools, session store: \(storeDescription)")
        print("")
        print("saturation: each client sends its next turn as soon as the last one ends (one-turn sessions)")
        print("channel      clients   turns    turns/s    p50 ms    p99 ms   longest loop stall ms")
        for channel in ["http", "websocket"] {
            for clients in clientCounts {
                let turns = max(turnsPerRun, clients * 2)
                stalls.reset()
                let result = channel == "http"
                    ? LoadRun(clients: clients, turns: turns).runHTTP(client: http, base: "http://127.0.0.1:\(port)")
                    : LoadRun(clients: clients, turns: turns).runWebSocket(loop: clientLoop, base: "ws://127.0.0.1:\(port)")
                let l = result.latencies.sorted()
                guard !l.isEmpty else { throw Failure(description: "\(channel) x\(clients): no turn completed (\(result.failures) failures)") }
                print(channel.padding(toLength: 12, withPad: " ", startingAt: 0)
                      + String(format: "%8d %7d %10.0f %9.3f %9.3f %12.3f", clients, l.count, Double(l.count) / result.seconds,
                               l[l.count / 2], l[min(l.count - 1, l.count * 99 / 100)], stalls.longestMilliseconds)
                      + (result.failures > 0 ? "   (\(result.failures) failed)" : ""))
            }
        }
        print("")
        print("paced: each client keeps one session and sends a turn every second (a person chatting)")
        print("channel      clients   turns    turns/s    p50 ms    p99 ms   longest loop stall ms")
        for channel in ["http", "websocket"] {
            for clients in clientCounts {
                stalls.reset()
                let paced = PacedRun(clients: clients, turnsPerClient: clients == 1 ? 20 : 8, intervalMilliseconds: 1000)
                let result = channel == "http"
                    ? paced.runHTTP(client: http, loop: clientLoop, base: "http://127.0.0.1:\(port)")
                    : paced.runWebSocket(loop: clientLoop, base: "ws://127.0.0.1:\(port)")
                let l = result.latencies.sorted()
                guard !l.isEmpty else { throw Failure(description: "paced \(channel) x\(clients): no turn completed") }
                print(channel.padding(toLength: 12, withPad: " ", startingAt: 0)
                      + String(format: "%8d %7d %10.0f %9.3f %9.3f %12.3f", clients, l.count, Double(l.count) / result.seconds,
                               l[l.count / 2], l[min(l.count - 1, l.count * 99 / 100)], stalls.longestMilliseconds)
                      + (result.failures > 0 ? "   (\(result.failures) failed)" : ""))
            }
        }
        stalls.stop()
        print("")
        print("targets: 500 concurrent chat clients with p99 turn latency < 20 ms, loop stalls < 5 ms (issue #4)")
    }
}

/// Measures how late a 1 ms repeating timer fires on a loop: the longest time the loop was busy.
final class StallProbe: @unchecked Sendable {
    // @unchecked: `last` and the timer are loop-thread only; `longest` is atomic.
    private let loop: EventLoop
    private var timer: LoopTimer?
    private var last: UInt64 = 0
    private let longest = Atomic<UInt64>(0)

    init(loop: EventLoop) {
        self.loop = loop
        loop.execute { [self] in
            let timer = LoopTimer(loop: loop)
            self.timer = timer
            last = DispatchTime.now().uptimeNanoseconds
            timer.start(after: 1, repeat: 1) { [self] in
                let now = DispatchTime.now().uptimeNanoseconds
                let late = now - last > 1_000_000 ? now - last - 1_000_000 : 0
                if late > longest.load(ordering: .relaxed) { longest.store(late, ordering: .relaxed) }
                last = now
            }
        }
    }

    var longestMilliseconds: Double { Double(longest.load(ordering: .relaxed)) / 1e6 }

    func reset() {
        loop.execute { [self] in last = DispatchTime.now().uptimeNanoseconds }
        longest.store(0, ordering: .relaxed)
    }

    func stop() {
        loop.execute { [self] in timer?.close() }
    }
}

/// `clients` virtual callers running one-turn sessions until `turns` turns completed in all.
struct LoadRun {
    let clients: Int
    let turns: Int
    static let body = #"{"caller":"%@","text":"I need a refund for order ORD-12345"}"#

    struct Result {
        let latencies: [Double]
        let seconds: Double
        let failures: Int
    }

    final class Tally: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var latencies: [Double] = []
        private var started = 0
        private(set) var failures = 0
        let target: Int
        let done = DispatchSemaphore(value: 0)

        init(target: Int) { self.target = target; latencies.reserveCapacity(target) }

        /// Claims the next turn; false when enough were started.
        func claim() -> Bool {
            lock.lock(); defer { lock.unlock() }
            guard started < target else { return false }
            started += 1
            return true
        }

        func record(_ milliseconds: Double?) {
            lock.lock()
            if let milliseconds { latencies.append(milliseconds) } else { failures += 1 }
            let finished = latencies.count + failures == target
            lock.unlock()
            if finished { done.signal() }
        }

        var all: [Double] { lock.lock(); defer { lock.unlock() }; return latencies }
    }

    func runHTTP(client: HTTPClient, base: String) -> Result {
        let tally = Tally(target: turns)
        let start = DispatchTime.now().uptimeNanoseconds
        @Sendable func next(_ id: Int, _ n: Int) {
            guard tally.claim() else { return }
            var request = ClientRequest(method: "POST", url: base + "/v1/chat")
            request.body = Array(String(format: Self.body, "+1\(id)-\(n)").utf8)
            let began = DispatchTime.now().uptimeNanoseconds
            client.send(request) { result in
                let ok = (try? result.get().status) == 200
                tally.record(ok ? Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6 : nil)
                next(id, n + 1)
            }
        }
        for id in 0..<clients { next(id, 0) }
        tally.done.wait()
        return Result(latencies: tally.all, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, failures: tally.failures)
    }

    func runWebSocket(loop: EventLoop, base: String) -> Result {
        let tally = Tally(target: turns)
        let start = DispatchTime.now().uptimeNanoseconds
        @Sendable func next(_ id: Int, _ n: Int) {
            guard tally.claim() else { return }
            let began = Atomic<UInt64>(0)
            let settled = Atomic<Bool>(false)
            let settle: @Sendable (Double?) -> Void = { value in
                if !settled.exchange(true, ordering: .relaxed) { tally.record(value); next(id, n + 1) }
            }
            let handler = WebSocketHandler(
                onText: { socket, text in
                    if text.contains(#""type":"session""#) {
                        began.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
                        socket.send(text: #"{"type":"text","text":"I need a refund for order ORD-12345"}"#)
                    } else if text.contains(#""type":"turn_end""#) {
                        settle(Double(DispatchTime.now().uptimeNanoseconds - began.load(ordering: .relaxed)) / 1e6)
                        socket.send(text: #"{"type":"end"}"#)
                    }
                },
                onClose: { _, _, _ in settle(nil) })
            WebSocketClient.connect(base + "/ws/chat/ws\(id)-\(n)", loop: loop, handler: handler) { _ in settle(nil) }
        }
        for id in 0..<clients { next(id, 0) }
        tally.done.wait()
        return Result(latencies: tally.all, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, failures: tally.failures)
    }
}
