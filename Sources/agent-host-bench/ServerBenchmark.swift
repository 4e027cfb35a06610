import Foundation
import Host
import HostNet
import HostPlugins
import HostServer
import HostSessions
import HostSupport
import HostTenancy
import Synchronization

/// Text turns through the real server over loopback: POST /v1/chat and the chat WebSocket with
/// 1, 50 and 500 concurrent clients; the longest stall of the server's loop; the session store.
/// Each client runs sessions back to back, one turn each ("I need a refund for order ORD-12345":
/// triage, handoff, lookup_order, reply) with canned tools, so the figures are the host's.
struct ServerBenchmark {
    /// Host and tenant session caps: far above what a run keeps open (see `run`).
    static let sessionCap = 100_000
    let clientCounts: [Int]
    let turnsPerRun: Int
    /// Builds the session store for the server (Redis when given a URL).
    let persistence: HostRunner.PersistenceFactory
    let storeDescription: String
    /// The Redis the store uses, for the store's own figures and redis-benchmark's ceiling.
    var redisURL: String?
    /// The redis-server child's pid when the bench started it: its CPU joins the threads line.
    var redisProcessID: Int32?
    /// As `serve` runs them (HostRunner+Conversations): a checkpoint after every turn and an owner
    /// lease per conversation. `--without-checkpoints` leaves both out (the figures before they existed).
    var conversationState = !CommandLine.arguments.contains("--without-checkpoints")

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        let deployment: LocalDeployment
        do {
            deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: .url("http://127.0.0.1:9"),
                                             apiKey: "unused", configure: ReferenceDeployment.useCannedTools)
        } catch {
            throw Failure(description: error.description)
        }
        defer { deployment.shutdown() }
        let (store, _) = try persistence(deployment.loop, deployment.services)
        var settings = HostServer.Settings()
        settings.http.port = 0
        // One-turn HTTP sessions stay open until their idle timeout: at 6,500 turns/s (two loops)
        // ~10,000 are open at once, and a 10,000 cap answered the rest 503 (counted as failed turns,
        // cheap ones, which inflated turns/s in --turns 15000 runs). The bench measures turns, not admission.
        settings.maxSessions = Self.sessionCap
        // HTTP sessions have no hang-up: let them end (and be saved) soon after their last turn.
        settings.sessionIdleMilliseconds = 1_500
        settings.http.reusePort = BenchLoops.count > 1
        // Every simulated client comes from 127.0.0.1: the per-address cap (256) would refuse most of 500.
        settings.http.maxConnectionsPerClient = settings.http.maxConnections
        // `--stall-log MS`: the host's own loop watchdog logs every stall over MS with what ran
        // (the route or plugin call): the tuning aid behind the "longest loop stall" column.
        if let index = CommandLine.arguments.firstIndex(of: "--stall-log"), index + 1 < CommandLine.arguments.count,
           let milliseconds = UInt64(CommandLine.arguments[index + 1]) {
            settings.loopStallThresholdMilliseconds = milliseconds
        }
        let server = HostServer(settings: settings, loop: deployment.loop, services: deployment.services,
                                tenants: [ServedTenant(runtime: deployment.tenant, maxConcurrentSessions: Self.sessionCap, maxSessionsPerCaller: 10)],
                                defaultTenant: deployment.tenant.id, persistence: store, verifyKey: { _, _ in false })
        if conversationState { HostRunner.checkpointConversations(of: server, store: store, idleMilliseconds: settings.sessionIdleMilliseconds) }
        guard let started = deployment.loop.submitAndWait({ Result { try server.start() } }) else { throw Failure(description: "loop not running") }
        let port = try started.get()
        defer { server.stop() }
        let tenants = [ServedTenant(runtime: deployment.tenant, maxConcurrentSessions: Self.sessionCap, maxSessionsPerCaller: 10)]
        let loops = try BenchLoops.start(first: server, settings: settings, port: port, services: deployment.services,
                                         tenants: tenants, defaultTenant: deployment.tenant.id, store: store)
        defer { loops?.stop() }
        if conversationState {
            HostRunner.holdConversations(servers: loops?.group.servers ?? [server], loops: loops, store: store,
                                         hostID: "bench-\(port)", address: "http://127.0.0.1:\(port)")
        }
        let stalls = LoopsStallProbe(loops: [deployment.loop] + (loops?.loops ?? []))

        let clientLoop = EventLoop(name: "bench-clients")
        clientLoop.start()
        defer { clientLoop.stop() }
        let http = HTTPClient(loop: clientLoop)
        defer { http.close() }
        let cpu = ClientLoopCPU(clientLoop: clientLoop)
        // Which thread used the cores: is loop 0 (Redis I/O, the first listener) busier than loop 1?
        let hostLoops = [deployment.loop] + (loops?.loops ?? [])
        var labels = Dictionary(uniqueKeysWithValues: hostLoops.enumerated().map { ($0.element.threadID, "loop-\($0.offset)") })
        labels[clientLoop.threadID] = "bench-clients"
        let threads = ThreadCPU(threads: labels, other: redisProcessID.map { ("redis-server", $0) })

        print("agent-host-bench server: one-turn sessions over loopback, canned tools, session store: \(storeDescription), host loops: \(BenchLoops.count)"
              + (BenchLoops.count > 1 ? ", redis: \(BenchLoops.redisDescription)" : "")
              + (conversationState ? ", checkpoints and owner leases as served" : ", without checkpoints and owner leases (--without-checkpoints)"))
        print("")
        print("saturation: each client sends its next turn as soon as the last one ends (one-turn sessions)")
        print("channel      clients   turns    turns/s    p50 ms    p99 ms   longest loop stall ms   host CPU %  client loop CPU %  host µs/turn  client µs/turn")
        for channel in ["http", "websocket"] {
            for clients in clientCounts {
                let turns = max(turnsPerRun, clients * 2)
                waitForIdle(deployment.services)
                stalls.reset()
                cpu.start()
                threads.start()
                let result = channel == "http"
                    ? LoadRun(clients: clients, turns: turns).runHTTP(client: http, base: "http://127.0.0.1:\(port)")
                    : LoadRun(clients: clients, turns: turns).runWebSocket(loop: clientLoop, base: "ws://127.0.0.1:\(port)")
                let l = result.latencies.sorted()
                guard !l.isEmpty else { throw Failure(description: "\(channel) x\(clients): no turn completed (\(result.failures) failures)") }
                // CPU per turn (process CPU time, not wall time: robust when other work shares the cores).
                let perTurn = cpu.microsecondsPerTurn(l.count + result.failures)
                print(channel.padding(toLength: 12, withPad: " ", startingAt: 0)
                      + String(format: "%8d %7d %10.0f %9.3f %9.3f %12.3f", clients, l.count, Double(l.count) / result.seconds,
                               l[l.count / 2], l[min(l.count - 1, l.count * 99 / 100)], stalls.longestMilliseconds)
                      + cpu.columns()
                      + String(format: " %13.0f %15.0f", perTurn.host, perTurn.client)
                      + (result.failures > 0 ? "   (\(result.failures) failed)" : ""))
                print("    threads CPU %: " + threads.line())
                print("    " + stalls.longestSplit)
            }
        }
        print("")
        print("paced: each client keeps one session and sends a turn every second (a person chatting)")
        print("channel      clients   turns    turns/s    p50 ms    p99 ms   longest loop stall ms   host CPU %  client loop CPU %")
        for channel in ["http", "websocket"] {
            for clients in clientCounts {
                waitForIdle(deployment.services)
                stalls.reset()
                cpu.start()
                threads.start()
                let paced = PacedRun(clients: clients, turnsPerClient: clients == 1 ? 20 : 8, intervalMilliseconds: 1000)
                let result = channel == "http"
                    ? paced.runHTTP(client: http, loop: clientLoop, base: "http://127.0.0.1:\(port)")
                    : paced.runWebSocket(loop: clientLoop, base: "ws://127.0.0.1:\(port)")
                let l = result.latencies.sorted()
                guard !l.isEmpty else { throw Failure(description: "paced \(channel) x\(clients): no turn completed") }
                print(channel.padding(toLength: 12, withPad: " ", startingAt: 0)
                      + String(format: "%8d %7d %10.0f %9.3f %9.3f %12.3f", clients, l.count, Double(l.count) / result.seconds,
                               l[l.count / 2], l[min(l.count - 1, l.count * 99 / 100)], stalls.longestMilliseconds)
                      + cpu.columns()
                      + (result.failures > 0 ? "   (\(result.failures) failed)" : ""))
                print("    threads CPU %: " + threads.line())
                print("    " + stalls.longestSplit)
            }
        }
        stalls.stop()
        if let redisURL { try storeFigures(redisURL: redisURL) }
        print("")
        print("targets: 500 concurrent chat clients with p99 turn latency < 20 ms, loop stalls < 5 ms (issue #4)")
    }
}

extension ServerBenchmark {
    /// Session record load and save latency through the store (one caller key per session, a
    /// realistic 8-line transcript), then redis-benchmark's GET/SET against the same Redis.
    func storeFigures(redisURL: String) throws {
        let loop = EventLoop(name: "store-bench")
        loop.start()
        defer { loop.stop() }
        let records = SessionRecordService(url: try RedisURL(parsing: redisURL), loop: loop,
                                           journalPath: NSTemporaryDirectory() + "/store-bench-\(getpid()).log",
                                           metrics: MetricsRegistry(), logger: Logger(minimum: .error))
        records.start()
        defer {
            let closed = DispatchSemaphore(value: 0)
            records.close { closed.signal() }
            closed.wait()
        }
        Thread.sleep(forTimeInterval: 0.3)
        let transcript = (0..<8).map { SessionRecord.Line(role: $0 % 2 == 0 ? "user" : "agent", agent: $0 % 2 == 0 ? nil : "Refund Agent",
                                                          text: "a sentence of about the length people say on the phone \($0)") }
        var saves: [Double] = []
        var loads: [Double] = []
        for i in 0..<2000 {
            let caller = "+1bench\(i % 500)"
            let interaction = SessionRecord.Interaction(sessionID: "bench-\(i)", startedAt: Date(), endedAt: Date(), agents: ["Triage Agent", "Refund Agent"],
                                                        tools: ["lookup_order"], outcome: "resolved", transcript: transcript)
            let saved = DispatchSemaphore(value: 0)
            var start = DispatchTime.now().uptimeNanoseconds
            records.save(interaction, tenant: "bench", caller: caller) { _ in saved.signal() }
            saved.wait()
            saves.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            let loaded = DispatchSemaphore(value: 0)
            start = DispatchTime.now().uptimeNanoseconds
            records.previousSessions(tenant: "bench", caller: caller) { _ in loaded.signal() }
            loaded.wait()
            loads.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        saves.sort()
        loads.sort()
        print("")
        print("session store (2000 saves and loads, up to 10 interactions per key, through SessionRecordService):")
        print(String(format: "  save (EVAL append+trim+TTL): p50 %.3f ms  p99 %.3f ms", saves[saves.count / 2], saves[saves.count * 99 / 100]))
        print(String(format: "  load (GET + decode):         p50 %.3f ms  p99 %.3f ms", loads[loads.count / 2], loads[loads.count * 99 / 100]))
        let port = redisURL.split(separator: ":").last.map { String($0.prefix { $0.isNumber }) } ?? "6379"
        if let ceiling = try? ChildCommand.run("/usr/bin/redis-benchmark", ["-p", port, "-t", "get,set", "-n", "20000", "-c", "1", "-d", "2048", "-q"],
                                               timeoutSeconds: 120) {
            let text = ceiling.stdout
            print("redis-benchmark against the same Redis (ceiling; 1 connection, 2 KiB values):")
            for line in text.split(separator: "\r").flatMap({ $0.split(separator: "\n") }) where line.contains("requests per second") {
                print("  " + line.trimmingCharacters(in: .whitespaces))
            }
        } else {
            print("redis-benchmark not found (apt-get install redis-tools)")
        }
    }
}

/// Waits (up to 15 s) until the previous run's sessions have all ended.
func waitForIdle(_ services: HostServices) {
    let deadline = Date().addingTimeInterval(15)
    while (services.metrics.gauge("agent_host_active_sessions") ?? 0) > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
}

/// `clients` virtual callers running one-turn sessions until `turns` turns completed in all.
struct LoadRun {
    let clients: Int
    let turns: Int
    /// The request body for caller `caller` (interpolated: `String(format:)` went through
    /// CFString and cost the client loop, which shares the cores with the host, ~5 % of its CPU).
    static func body(caller: String) -> [UInt8] {
        Array(#"{"caller":"\#(caller)","text":"I need a refund for order ORD-12345"}"#.utf8)
    }

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

        /// Waits for every turn, at most `seconds`: a client that never hears back (seen under
        /// heavy load, a paced WebSocket run hung the whole benchmark) ends the run instead of
        /// hanging it, and every turn not done by then counts as failed.
        func waitAll(seconds: Double) {
            guard done.wait(timeout: .now() + seconds) == .timedOut else { return }
            lock.lock()
            failures = target - latencies.count
            lock.unlock()
        }
    }

    func runHTTP(client: HTTPClient, base: String) -> Result {
        let tally = Tally(target: turns)
        let start = DispatchTime.now().uptimeNanoseconds
        @Sendable func next(_ id: Int, _ n: Int) {
            guard tally.claim() else { return }
            var request = ClientRequest(method: "POST", url: base + "/v1/chat")
            request.body = Self.body(caller: "+1\(id)-\(n)")
            let began = DispatchTime.now().uptimeNanoseconds
            client.send(request) { result in
                let ok = (try? result.get().status) == 200
                tally.record(ok ? Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6 : nil)
                next(id, n + 1)
            }
        }
        for id in 0..<clients { next(id, 0) }
        tally.waitAll(seconds: 120)
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
        tally.waitAll(seconds: 120)
        return Result(latencies: tally.all, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, failures: tally.failures)
    }
}
