import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostSessions
import HostSupport
import HostTenancy
import HostVoice

/// The host operators run: one libuv loop serving HTTP and WebSocket clients, the sessions of
/// every tenant, health/readiness/metrics, and graceful drain. Plugins, tool HTTP and sessions
/// share that loop; nothing slow runs on it (docs/architecture.md, threading model).
public final class HostServer: @unchecked Sendable {
    // @unchecked: mutable state (registry, draining) is touched only on `loop`'s thread.
    public struct Settings: Sendable {
        public var http = HTTPServer.Configuration(host: "127.0.0.1", port: 8080)
        /// After this many live sessions new ones are refused and /ready answers 503.
        public var maxSessions = 1000
        /// An HTTP chat session with no turn for this long ends with `timeout`.
        public var sessionIdleMilliseconds: UInt64 = 300_000
        public var drainDeadlineSeconds: Double = 30
        /// A turn's text larger than this is refused (413; 1009 on a socket).
        public var maxTurnTextBytes = 4096
        /// The event loop busy longer than this is a stall: logged with what ran, and counted.
        public var loopStallThresholdMilliseconds: UInt64 = 50
        /// How often this host looks for calls of dead processes whose callers never called back,
        /// to record them (HostServer+LostCallSweep.swift); 0: never.
        public var lostCallSweepSeconds: Double = 30

        public init() {}
    }

    public let loop: EventLoop
    public let services: HostServices
    let settings: Settings
    /// Replaced whole by a reload (on the loop); a session holds the runtime it started with.
    private(set) var tenants: [String: ServedTenant]
    private(set) var defaultTenant: String
    let persistence: SessionPersistence
    let verifyKey: @Sendable (ServedTenant, String) -> Bool
    /// Extra facts for /health (e.g. the session store's state): returns (degraded reason?, fields).
    let healthProbe: @Sendable () -> (degraded: String?, fields: [String: String])
    package let registry: SessionRegistry
    /// Speech engines for `WS /ws/voice/{caller}`; nil: voice calls are refused with 503.
    public var voice: VoiceServices?
    /// The console and playground (`/console`, docs/console.md); nil: switched off (404).
    public var console: ConsoleService?
    /// Chat conversations' state after every turn, so another host can continue them (nil: not
    /// kept; see HostServer+Checkpoints.swift). Set before `start()`.
    public var checkpoints: ChatCheckpointStore?
    /// Voice calls' state after every turn, found by caller when one calls back after their call's
    /// host died (HostServer+LostCalls.swift; nil: not kept). Set before `start()`.
    public var calls: CallCheckpointStore?
    /// Owner leases of this server's chat conversations (HostServer+Ownership.swift); nil: none
    /// held, any host may continue any conversation. Set through `holdOwnerLeases` (loop thread).
    var ownership: ChatOwnership?
    /// The lost-call sweep's timer, and whether a pass is under way (HostServer+LostCallSweep.swift).
    var lostCallSweep: LoopTimer?
    var lostCallSweepRunning = false
    /// Asks whether another host can continue a `tenant`'s chat conversation (HostServer+HandOver:
    /// only then is it handed over at the drain deadline); nil: none can. Set by `serve` from the
    /// fleet's heartbeats; `answer` on any thread.
    package var handOverPossible: ((_ tenant: String, _ answer: @escaping @Sendable (Bool) -> Void) -> Void)?
    /// What the fleet's heartbeats (docs/protocol.md §5) say of `hostID`: tells a restarted or
    /// vanished host from the one a lost call ran on (HostServer+CallLiveness). Set by `serve`;
    /// `answer` on any thread.
    package var hostHeartbeat: ((_ hostID: String, _ answer: @escaping @Sendable (HostHeartbeat) -> Void) -> Void)?
    /// The host's other loops (`server.loops` > 1; ServerLoops.swift); nil with one loop.
    package weak var peers: ServerLoops?
    private var http: HTTPServer?
    private var watchdog: LoopWatchdog?
    private var drainFinished: (() -> Void)?
    private var drainTimer: LoopTimer?
    /// Whisper TwiML, the recordings' writer, the retention sweep (Sources/Host/Telephony).
    let telephony = ServerTelephony()

    public init(settings: Settings, loop: EventLoop, services: HostServices, tenants: [ServedTenant], defaultTenant: String,
                persistence: SessionPersistence,
                verifyKey: @escaping @Sendable (ServedTenant, String) -> Bool,
                healthProbe: @escaping @Sendable () -> (degraded: String?, fields: [String: String]) = { (nil, [:]) }) {
        self.settings = settings
        self.loop = loop
        self.services = services
        self.tenants = Dictionary(tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.defaultTenant = defaultTenant
        self.persistence = persistence
        self.verifyKey = verifyKey
        self.healthProbe = healthProbe
        self.registry = SessionRegistry(globalCap: settings.maxSessions, loop: loop)
        services.metrics.describe("agent_host_active_sessions", type: "gauge", help: "Sessions being served now.")
        services.metrics.describe("agent_host_sessions_started_total", type: "counter", help: "Sessions started, by tenant.")
        services.metrics.describe("agent_host_session_duration_seconds", type: "histogram", help: "Session (call) duration.")
        services.metrics.describe("agent_host_handoffs_total", type: "counter", help: "Handoffs by from/to agent.")
        services.metrics.describe("agent_host_tool_calls_total", type: "counter", help: "Tool calls by tool and outcome.")
        services.metrics.describe("agent_host_tool_call_seconds", type: "histogram", help: "Tool call latency by tool.")
        services.metrics.describe("agent_host_errors_total", type: "counter", help: "Errors by kind.")
        services.metrics.describe("agent_host_plugin_restarts_total", type: "counter", help: "Isolated plugin runners restarted after a crash, by tenant and plugin file.")
        services.metrics.describe("agent_host_sessions_handed_over_total", type: "counter", help: "Chat conversations moved to another host at the drain deadline, by tenant.")
        services.metrics.describe("agent_host_calls_recovered_total", type: "counter", help: "Voice calls lost with their host, recorded when their caller called back, by tenant.")
        services.metrics.describe("agent_host_sessions_moved_away_total", type: "counter", help: "Chat conversations this host ended because another host took them over (their lease lapsed while this host hung), by tenant.")
        services.metrics.describe("agent_host_escalations_total", type: "counter", help: "Callers queued for a person, by tenant and department.")
        services.metrics.set("agent_host_active_sessions", 0)
    }

    /// Binds and starts serving; returns the port. Call with the loop running.
    @discardableResult
    public func start() throws -> Int {
        let server = HTTPServer(loop: loop, configuration: protectedHTTPConfiguration(), handler: { [self] request, respond in
            route(request, respond)
        }, upgrade: { [self] request in upgrade(request) })
        let port = try server.start()
        http = server
        watchdog = startLoopWatchdog()
        startRecordingSweeps()
        services.logger.log(.info, "server", "listening on http://\(settings.http.host):\(port)")
        return port
    }

    public var port: Int { http?.port ?? 0 }

    /// Stops accepting sessions (/ready 503); live sessions go on until they end or the deadline,
    /// when they get `end` with reason `shutdown` (and are persisted). `finished` runs on the loop
    /// thread once no session is left.
    public func drain(finished: @escaping @Sendable () -> Void) {
        loop.execute { [self] in
            // After `POST /admin/v1/drain` sessions are already refused; SIGTERM still finishes the drain.
            guard drainFinished == nil, drainTimer == nil else { return }
            registry.draining = true
            drainFinished = finished
            services.logger.log(.info, "server", "draining\(loopSuffix): \(registry.localCount) session(s) live, deadline \(settings.drainDeadlineSeconds) s")
            let timer = LoopTimer(loop: loop)
            drainTimer = timer
            let deadline = loop.nowMilliseconds + UInt64(settings.drainDeadlineSeconds * 1000)
            // At the deadline, and every half second after it while a chat turn finishes:
            // conversations that can move to another host do (HostServer+HandOver.swift).
            timer.start(after: UInt64(settings.drainDeadlineSeconds * 1000), repeat: 500) { [self] in
                for session in registry.sessions.values { endAtDrainDeadline(session, overdueMilliseconds: loop.nowMilliseconds &- min(deadline, loop.nowMilliseconds)) }
            }
            checkDrained()
        }
    }

    /// `POST /admin/v1/drain` (loop thread): new sessions are refused and /ready answers 503
    /// `draining`, as after SIGTERM, but the host does not exit; live sessions go on. False when
    /// it was already draining.
    package func stopTakingSessions() -> Bool {
        loop.preconditionInLoop()
        guard !registry.draining else { return false }
        registry.draining = true
        services.logger.log(.info, "server", "draining (admin): new sessions refused, \(registry.count) session(s) live go on; the host keeps running")
        return true
    }

    /// Live sessions per plugin file (sha256) their conversation's instances came from (loop thread).
    package func liveSessionsByPluginFile() -> [String: Int] {
        loop.preconditionInLoop()
        var counts: [String: Int] = [:]
        for session in registry.sessions.values {
            guard let tenant = session.conversation?.tenant else { continue }
            for sha in Set(tenant.pluginFiles.values) { counts[sha, default: 0] += 1 }
        }
        return counts
    }

    /// A reload's new tenants (loop thread): new sessions resolve against them; live sessions keep
    /// the runtime they began with, and a removed tenant's live sessions finish.
    package func replaceTenants(_ new: [ServedTenant], defaultTenant: String) {
        loop.preconditionInLoop()
        tenants = Dictionary(new.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.defaultTenant = defaultTenant
    }

    public func stop() {
        http?.stop()
        watchdog?.stop()
        loop.execute { [self] in
            telephony.sweepTimer?.close()
            ownership?.timer.close()   // the drain is over: no conversation left to renew
            lostCallSweep?.close()
        }
    }

    // MARK: sessions (loop thread)

    func resolveTenant(_ request: HTTPRequest, bodyTenant: String?) -> Result<ServedTenant, Rejection> {
        let id = request.query("tenant") ?? bodyTenant ?? defaultTenant
        guard let tenant = tenants[id] else {
            return .failure(Rejection(ServerResponses.error(404, "unknown tenant '\(id)'")))
        }
        if let ticket = request.query("ticket"), request.headers["Upgrade"]?.lowercased() == "websocket" {
            // A browser's one-use ticket from `POST /console/v1/ticket` stands for the key (docs/protocol.md).
            guard console?.tickets.redeem(ticket, tenant: tenant.id) == true else {
                return .failure(Rejection(ServerResponses.error(401, "the ticket is unknown, used or expired: ask POST /console/v1/ticket for a new one just before connecting")))
            }
            return .success(tenant)
        }
        if !tenant.apiKeyHashes.isEmpty {
            let bearer = request.headers["Authorization"].flatMap { header -> String? in
                header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
            }
            // `?token=` is for WebSocket handshakes only (browsers cannot set headers there); on
            // plain HTTP a key in the URL would end up in proxies' and servers' logs.
            let queryToken = request.headers["Upgrade"]?.lowercased() == "websocket" ? request.query("token") : nil
            guard let key = bearer ?? queryToken, verifyKey(tenant, key) else {
                let hint = queryToken == nil && request.query("token") != nil
                    ? ": ?token= is for WebSocket handshakes only; send Authorization: Bearer KEY" : ""
                return .failure(Rejection(ServerResponses.error(401, "missing or invalid API key for tenant '\(id)'" + hint)))
            }
        }
        return .success(tenant)
    }

    /// Admits and starts a session; `ready` runs once its conversation exists.
    /// `idleMilliseconds`: a session with no turn for this long ends with `timeout` (nil: the
    /// HTTP setting; 0: never, for voice calls, whose line has its own liveness). `call`: a voice
    /// call (any line), checkpointed per turn and picking up from the caller's lost call, if any.
    func openSession(tenant: ServedTenant, caller: String, idleMilliseconds: UInt64? = nil,
                     forward: (@Sendable (ConversationEvent) -> Void)? = nil, checkpointed: Bool = false, call: Bool = false,
                     ready: @escaping @Sendable (Result<ServerSession, Rejection>) -> Void) {
        loop.preconditionInLoop()
        if let refusal = registry.admit(tenant: tenant, caller: caller) {
            services.metrics.increment("agent_host_errors_total", labels: ["kind": "session_refused"])
            return ready(.failure(Rejection(ServerResponses.error(refusal.status, refusal.message))))
        }
        let session = ServerSession(tenantID: tenant.id, caller: caller, loop: loop,
                                    idleMilliseconds: idleMilliseconds ?? settings.sessionIdleMilliseconds)
        session.forward = forward
        session.observer = console?.monitor
        registry.add(session)
        session.onEnd = { [self] session, reason, release in sessionEnded(session, reason: reason, release: release) }
        if checkpointed {
            checkpointTurns(of: session)
            claimLease(of: session)
        }
        if call { checkpointCallTurns(of: session) }
        countSessions()
        services.metrics.increment("agent_host_sessions_started_total", labels: ["tenant": tenant.id])
        // A call also records and picks up the caller's lost call, if any (HostServer+LostCalls.swift).
        callerHistory(tenant: tenant, caller: caller, call: call) { [self] previous, lost in
            session.begin(tenant: tenant.runtime, services: services, previousSessions: previous, lostCall: lost?.checkpoint)
            ready(.success(session))
        }
    }

    /// Persists an ended session; the session leaves the registry (and its `end` goes out) once
    /// the record is durable, so a drain finishes only when every record is.
    func sessionEnded(_ session: ServerSession, reason: String, release: @escaping @Sendable () -> Void) {
        // A conversation handed over goes on elsewhere from its checkpoint (its lease is already
        // given up); one taken over by another host is that host's, checkpoint and lease alike.
        let chatEnds = session.onTurnEnd != nil && reason != ServerSession.handedOver && reason != ServerSession.movedToAnotherHost
        let callEnds = session.onCallTurnEnd != nil
        // Its record (none when it moved to another host: its new host records it there) makes
        // the ending when the store can, journaled with it (ConversationEnd); otherwise the ending
        // is made apart, below, once the record is durable.
        let recorded = session.conversation != nil && reason != ServerSession.movedToAnotherHost
        let ending = recorded && persistence.savesConversationEnds && (chatEnds || callEnds)
            ? ownership?.leases.ending(removesChatCheckpoint: chatEnds) : nil
        let endedWithRecord = ending != nil
        let finished: @Sendable () -> Void = { [self] in
            loop.execute { [self] in
                release()
                if chatEnds, !endedWithRecord {
                    checkpoints?.remove(tenant: session.tenantID, sessionID: session.id)
                    // Not a DEL: a host that hung through the take-over and this end finds the ended
                    // marker to fail against when it wakes, not an empty key (docs/protocol.md §7, "Ended").
                    ownership?.leases.end(tenant: session.tenantID, sessionID: session.id)
                }
                if callEnds, !endedWithRecord { callEnded(session) }
                registry.remove(session)
                countSessions()
                checkDrained()
            }
        }
        // Its new host records it when it ends there (HostServer+LeaseLost.swift): not twice.
        guard let conversation = session.conversation, reason != ServerSession.movedToAnotherHost else { return finished() }
        var record = CompletedSession(conversation, outcome: reason)
        record.recording = session.recording
        services.metrics.observe("agent_host_session_duration_seconds", record.endedAt.timeIntervalSince(record.startedAt),
                                 labels: ["tenant": session.tenantID])
        // Redacting (regular expressions over every line) and encoding the record grow with the
        // call: off the loop. `save` is thread-safe; `finished` hops back to the loop.
        let persistence = persistence
        let completed = record
        DispatchQueue.global().async {
            if let ending {
                persistence.save(completed.redacted(), ending: ending, durable: finished)
            } else {
                persistence.save(completed.redacted(), durable: finished)
            }
        }
    }

    private func checkDrained() {
        guard registry.draining, registry.localCount == 0, let finished = drainFinished else { return }
        drainFinished = nil
        drainTimer?.close()
        services.logger.log(.info, "server", "drained\(loopSuffix): every session ended and its record is durable")
        finished()
    }

    // MARK: health

    func health() -> HTTPResponse {
        var probe = healthProbe()
        let failedPlugins = services.runners.failedPlugins
        if !failedPlugins.isEmpty {
            let named = failedPlugins.map { "plugin \($0.plugin) failed for tenant \($0.tenant)" }.joined(separator: "; ")
            probe.degraded = [probe.degraded, named].compactMap { $0 }.joined(separator: "; ")
        }
        var fields = probe.fields
        if !failedPlugins.isEmpty {
            fields["failed_plugins"] = JSONText.render(failedPlugins.map { ["tenant": $0.tenant, "plugin": $0.plugin, "reason": $0.reason] })
        }
        fields["active_sessions"] = String(registry.count)
        fields["version"] = JSONText.quote(HostInfo.version)
        if let build = ExecutableBuildID.current { fields["build"] = JSONText.quote(build) }
        fields["status"] = JSONText.quote(probe.degraded == nil ? (registry.draining ? "draining" : "ok") : "degraded")
        if let reason = probe.degraded { fields["degraded_reason"] = JSONText.quote(reason) }
        return ServerResponses.json(200, JSONText.object(fields.sorted { $0.key < $1.key }))
    }

    func readiness() -> HTTPResponse {
        if registry.draining { return ServerResponses.json(503, #"{"ready":false,"reason":"draining"}"#) }
        if registry.atCapacity { return ServerResponses.json(503, #"{"ready":false,"reason":"at capacity"}"#) }
        return ServerResponses.json(200, #"{"ready":true}"#)
    }
}
