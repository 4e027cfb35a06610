import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostServer
import HostSessions
import HostSpeech
import HostSupport
import HostTenancy
import HostVoice
import Synchronization

/// Runs the host an operator configured (`agent-host serve`) or the embedded demo (`agent-host
/// demo`): plugins, tenants, session store, server, and signal-driven drain. `run` blocks until
/// the host has drained after SIGTERM/SIGINT.
public struct HostRunner {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public let exitCode: Int32
    }

    /// What a session store needs from the runner (Redis when configured).
    public typealias PersistenceFactory = (_ loop: EventLoop, _ services: HostServices) throws -> (SessionPersistence, @Sendable () -> (degraded: String?, fields: [String: String]))

    let configuration: HostConfiguration
    let persistence: PersistenceFactory
    /// `serve --port N`: kept over the file's `server.port` on reloads too.
    public var portOverride: Int?
    /// Printed once the server listens (the URL and how to talk to it).
    var banner: (String) -> Void = { url in print("agent-host listening on \(url)") }
    /// Stops the processes this run started (the demo's redis-server and backend) when a second
    /// signal ends the run without the drain; called on a thread of its own, may block.
    var childrenToStop: (@Sendable () -> Void)?

    public init(configuration: HostConfiguration, persistence: @escaping PersistenceFactory,
                banner: @escaping (String) -> Void = { print("agent-host listening on \($0)") }) {
        self.configuration = configuration
        self.persistence = persistence
        self.banner = banner
    }

    public func run() throws(Failure) {
        // The build id is read from the executable file (pread of its notes): here, once, before any
        // loop runs — not lazily on a loop thread the first time /health or the heartbeat asks.
        let build = ExecutableBuildID.current
        Logger.shared.log(.info, "server", "agent-host \(HostInfo.version) build \(build ?? "(none: linked without a build id)")")
        OpenFileLimit.raise(forConnections: configuration.server.maxConnections)
        let catalog = configuration.plugins.loader.loadAll()
        for refusal in catalog.refused { Logger.shared.log(.warning, "plugins", "refused \(refusal)") }
        // A tenant naming a plugin nobody loaded, or pinning other bytes, is a configuration error
        // reported at its line.
        do { try configuration.check(against: catalog) } catch {
            throw Failure(description: error.description, exitCode: 2)
        }
        let loop = EventLoop(name: "host", threadName: "loop-0")
        loop.start()
        defer { loop.stop() }
        // Traces (docs/operations.md, "Telemetry"): exported by swift-otel's own tasks, off the loop.
        let telemetry: OTelTracing?
        do { telemetry = try configuration.telemetry.map { try OTelTracing($0) } } catch {
            throw Failure(description: "\(configuration.file): telemetry: \(error)", exitCode: 2)
        }
        defer { telemetry?.shutdown() }
        let services = HostServices(loop: loop, tracing: telemetry?.tracing ?? .disabled)
        services.runners.policy = configuration.plugins.supervision
        var served: [ServedTenant] = []
        for tenant in configuration.tenants {
            do {
                let runtime = try TenantRuntime(configuration: configuration.tenantConfiguration(tenant), catalog: catalog, services: services)
                served.append(ServedTenant(runtime: runtime, apiKeyHashes: tenant.apiKeyHashes,
                                           maxConcurrentSessions: tenant.limits.maxConcurrentSessions,
                                           maxSessionsPerCaller: tenant.limits.maxSessionsPerCaller,
                                           voice: TenantVoice(configured: tenant)))
            } catch {
                throw Failure(description: "\(configuration.file): \(error)", exitCode: 2)
            }
        }
        let (store, probe): (SessionPersistence, @Sendable () -> (degraded: String?, fields: [String: String]))
        do { (store, probe) = try persistence(loop, services) } catch {
            throw Failure(description: "session store: \(error)", exitCode: 1)
        }
        var settings = HostServer.Settings()
        settings.http = configuration.server.http
        settings.maxSessions = configuration.server.maxSessions
        settings.maxTurnTextBytes = configuration.server.maxTurnTextBytes
        settings.sessionIdleMilliseconds = configuration.server.sessionIdleTimeoutMilliseconds
        settings.drainDeadlineSeconds = Double(configuration.server.drainDeadlineSeconds)
        settings.lostCallSweepSeconds = Double(configuration.server.lostCallSweepSeconds)
        settings.http.reusePort = configuration.server.loops > 1
        // The loops' listeners count connections together: max_connections is the host's (HostLoops copies these settings).
        if configuration.server.loops > 1 { settings.http.connectionCounts = ConnectionCounts() }
        let server = HostServer(settings: settings, loop: loop, services: services, tenants: served,
                                defaultTenant: configuration.defaultTenant, persistence: store,
                                verifyKey: { tenant, key in APIKeys.verify(key, against: tenant.apiKeyHashes) },
                                healthProbe: probe)
        server.voice = Self.voiceServices(for: served, http: services.http)
        let reloader = HostReloader(configuration: configuration, catalog: catalog, served: served, server: server,
                                    services: services, portOverride: portOverride)
        if configuration.consoleEnabled { server.console = Self.console(server: server, reloader: reloader, configuration: configuration) }
        Self.checkpointConversations(of: server, store: store, idleMilliseconds: configuration.server.sessionIdleTimeoutMilliseconds)
        let port: Int
        do { port = try server.start() } catch {
            throw Failure(description: "cannot listen on \(configuration.server.host):\(configuration.server.port): \(error)", exitCode: 1)
        }
        let loops = try HostLoops.start(count: configuration.server.loops, first: server, settings: settings, port: port,
                                        services: services, tenants: served, defaultTenant: configuration.defaultTenant,
                                        store: store, probe: probe)
        let (hostID, address) = FleetHeartbeat.identity(configuration: configuration, port: port)
        Self.holdConversations(servers: loops?.group.servers ?? [server], loops: loops, store: store, hostID: hostID, address: address)
        banner("http://\(configuration.server.host):\(port)")
        if let sip = configuration.sip {
            do { try server.startSIP(sip) } catch {
                server.stop()
                throw Failure(description: "sip: \(error)", exitCode: 1)
            }
        }
        let fleet = FleetHeartbeat.start(for: server, store: store, configuration: configuration, port: port)
        // The server and the reloader hold the tenants now. This frame lives until shutdown: kept
        // here, the first configuration's instances (and isolated runners) would outlive a reload
        // that replaced them.
        served.removeAll()
        var admin: AdminServer?
        if let settings = configuration.admin {
            let listener = AdminServer(loop: loop, reloader: reloader, server: server, keyHashes: settings.apiKeyHashes, logger: services.logger)
            do { _ = try listener.start(host: settings.host, port: settings.port) } catch {
                server.stop()
                throw Failure(description: "cannot listen for admin on \(settings.host):\(settings.port): \(error)", exitCode: 1)
            }
            admin = listener
        }
        waitForShutdownSignal(loop: loop, reloader: reloader)
        admin?.stop()
        let drained = DispatchSemaphore(value: 0)
        if let loops { loops.group.drain { drained.signal() } } else { server.drain { drained.signal() } }
        drained.wait()
        fleet?.stopAndWait()
        server.stopSIP()
        server.stop()
        loops?.stop()
        let report = Self.close(store)
        services.shutdown()
        // Loss must never hide behind exit code 0: a supervisor sees it, and the line says how many.
        guard let report, report.placed else {
            throw Failure(description: report.map { "drained, but \($0)" }
                            ?? "drained, but the session store did not confirm its records within 30 s", exitCode: 1)
        }
        Logger.shared.log(.info, "server", "stopped: \(report)")
    }

    /// Flushes the session store; nil when it did not answer in time.
    static func close(_ store: SessionPersistence) -> SessionJournal.CloseReport? {
        let box = LockedValue<SessionJournal.CloseReport?>(nil)
        let done = DispatchSemaphore(value: 0)
        store.close { report in
            box.set(report)
            done.signal()
        }
        guard done.wait(timeout: .now() + 30) == .success else { return nil }
        return box.get()
    }

    /// Builds each tenant's recogniser (its language model from its plugins' phrases) and the
    /// synthesiser, before serving. Without them voice calls are refused and the host still serves chat.
    /// `warmDecoders`: each tenant's warm pool (docs/voice.md, "The first turn"), at start and on reload.
    /// Each tenant's recognition profile comes from its configuration; with an HTTP client, the
    /// tenants' cloud speech (`stt`/`tts: openai`) is added.
    static func voiceServices(for served: [ServedTenant], http: HTTPClient?, warmDecoders: Int = 2) -> VoiceServices? {
        let built = LockedValue<VoiceServices?>(nil)
        let done = DispatchSemaphore(value: 0)
        let tenants = served.map(\.runtime), recognition = VoiceServices.profiles(of: served)
        Task {
            do { built.set(try await VoiceServices.offline(tenants: tenants, warmDecoders: warmDecoders, recognition: recognition)) } catch {
                Logger.shared.log(.warning, "voice", "voice calls disabled: \(error)")
            }
            done.signal()
        }
        done.wait()
        guard let http else { return built.get() }
        return built.get()?.addingCloudSpeech(for: served, http: http)
    }

    /// Blocks until SIGTERM or SIGINT (watched on the loop with uv_signal_t); SIGHUP reloads the
    /// configuration (in the background, see HostReloader) and serving goes on.
    /// (main.swift unblocks these signals before any thread exists: a parent may have had them blocked.)
    private func waitForShutdownSignal(loop: EventLoop, reloader: HostReloader) {
        let received = DispatchSemaphore(value: 0)
        let file = configuration.file
        let stopChildren = childrenToStop
        loop.execute {
            let hangUp = LoopSignal(loop: loop)
            hangUp.start(signal: SIGHUP) { _ in
                _ = hangUp  // held for as long as the loop runs
                Logger.shared.log(.info, "server", "signal SIGHUP: reloading \(file)")
                reloader.reload(requestedBy: "SIGHUP")
            }
            // Both watchers stay for the whole run: with the first closed, a second Ctrl-C got the
            // default action and the process died mid-drain, leaving the demo's redis-server and
            // support-backend running with nobody to stop them.
            // A repeat within a second is the same request (Ctrl-C reaches the whole process group,
            // and a wrapper may forward it too): only a later one skips the drain, and only once.
            var drainStarted: UInt64?
            var stopping = false
            for signal in [SIGINT, SIGTERM] {
                let watcher = LoopSignal(loop: loop)
                // The callback holds the watcher: a LoopSignal closes its handle when released.
                watcher.start(signal: signal) { number in
                    _ = watcher
                    let now = DispatchTime.now().uptimeNanoseconds
                    guard let started = drainStarted else {
                        drainStarted = now
                        Logger.shared.log(.info, "server", "signal \(number): draining (send it again to stop at once)")
                        received.signal()
                        return
                    }
                    guard !stopping, now - started >= 1_000_000_000 else { return }
                    stopping = true
                    Self.stopAtOnce(signal: number, stopping: stopChildren)
                }
            }
        }
        received.wait()
    }

    /// A second SIGINT/SIGTERM during the drain: the operator will not wait. Sessions still open are
    /// not handed over; records already acknowledged are in the journal file and Redis. What the
    /// run started (`childrenToStop`) is stopped first, off the loop, then the process exits 128+signal.
    private static func stopAtOnce(signal number: Int32, stopping stopChildren: (@Sendable () -> Void)?) {
        Logger.shared.log(.warning, "server", "signal \(number) again: stopping at once without finishing the drain; open sessions end here, acknowledged records are in the journal")
        Thread.detachNewThread {
            stopChildren?()
            Logger.shared.log(.info, "server", "stopped at once")
            fflush(nil)
            _exit(128 + number)
        }
    }
}

/// A value handed from one thread to another.
package final class LockedValue<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    package init(_ initial: Value) { value = Mutex(initial) }
    package func set(_ new: Value) { value.withLock { $0 = new } }
    package func get() -> Value { value.withLock { $0 } }
}
