import CLibUV
import Dispatch
import Glibc
import HostNet
import HostSupport
import PluginABI
import Synchronization

/// One plugin runner process for one (tenant, plugin file): starts it, talks to it over its
/// socket on its loop (the host's loop that calls it; never blocking), and supervises it. A runner that dies, sends
/// garbage or outlives a cancel's grace period is killed, its pending calls and steps fail, and
/// it restarts with exponential backoff until it crashes too often, when it is marked failed.
package final class RunnerProcess: @unchecked Sendable {
    // @unchecked: the `var`s below are confined to `loop` (the host's loop thread), except
    // `failure` and `slots`, which are behind Mutexes. The process itself: +Lifecycle.
    let pluginPath: String
    let tenantID: String
    /// The plugin's file name: how logs, metrics and /health name it.
    let label: String
    let maxMemoryMB: Int
    let policy: IsolationPolicy
    let services: HostServices
    let loop: EventLoop
    let executable: String

    let failure = Mutex<String?>(nil)
    let slots = Mutex<Set<UInt32>>([])

    var pid: pid_t = 0
    var socket: Int32 = -1
    var poll: UnsafeMutablePointer<uv_poll_t>?
    var decoder = WireDecoder()
    var outbox: [UInt8] = []
    var writing = false
    /// True while frames read from the socket are being handled: what they answer is written
    /// once, after the batch, instead of one write per reply.
    var batching = false
    var running = false
    var stopped = false
    var killReason: String?
    /// Frames held while the runner restarts, sent once it is back.
    var held: [WireFrame] = []
    /// Bumped at each death: answers (HTTP, timers) for an earlier process are dropped.
    var generation = 0
    var crashes: [UInt64] = []
    /// Times the runner was restarted after a crash (for `GET /admin/v1/plugins`).
    var restarts = 0
    var restartTimer: LoopTimer?
    var reapTimer: LoopTimer?
    var graceTimers: [UInt64: LoopTimer] = [:]
    var nextRequest: UInt64 = 1
    /// Where reads from the socket land: one buffer for the runner's life, not 64 KiB allocated
    /// and zeroed per readable event.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

    var instances: [UInt32: WeakInstance] = [:]
    var creations: [UInt32: WireFrame] = [:]
    var createWaiters: [UInt64: @Sendable (Int32, String) -> Void] = [:]
    /// Tool calls and steps the runner has been given and not finished, by id → instance.
    var pendingCalls: [UInt64: UInt32] = [:]
    var openSteps: [UInt64: UInt32] = [:]
    /// The ambient trace of each pending tool call started under a span (tracing on): the HTTP
    /// requests the runner makes during the call carry it (RunnerProcess+Extensions.swift).
    var callTraces: [UInt64: AmbientTrace] = [:]

    /// The runner finished (or will never finish) tool call `id`.
    func callEnded(_ id: UInt64) {
        pendingCalls[id] = nil
        if !callTraces.isEmpty { callTraces[id] = nil }
    }

    struct WeakInstance { weak var value: IsolatedInstance? }

    init(pluginPath: String, tenantID: String, maxMemoryMB: Int, policy: IsolationPolicy,
         executable: String, services: HostServices, loop: EventLoop) {
        self.pluginPath = pluginPath
        self.tenantID = tenantID
        self.label = String(pluginPath.split(separator: "/").last ?? Substring(pluginPath))
        self.maxMemoryMB = maxMemoryMB
        self.policy = policy
        self.executable = executable
        self.services = services
        self.loop = loop
    }

    deinit { readBuffer.deallocate() }

    /// Loop thread only: the running process's id, nil while it is down.
    var livePID: Int32? { running ? pid : nil }

    /// [thread-safe] Why this runner was stopped for good (crashed too often), or nil.
    var failedReason: String? { failure.withLock { $0 } }

    /// [thread-safe] A free instance slot (the runner holds at most 256 instances).
    func claimSlot() -> UInt32? {
        slots.withLock { used in
            guard let free = (0..<UInt32(256)).first(where: { !used.contains($0) }) else { return nil }
            used.insert(free)
            return free
        }
    }

    // MARK: - requests from the host side ([thread-safe]; inline on the loop's thread, else they hop to it)

    /// Runs `work` now when called on the loop's thread (a session calling its plugin: the frame
    /// is written at once, no wake-up of another thread), else queues it to the loop.
    func onLoop(_ work: @escaping @Sendable () -> Void) {
        if loop.inLoopThread { work() } else { loop.execute(work) }
    }

    /// Creates an instance in the runner (started on first use) and waits for the answer.
    /// Never call it on the runner's loop (it would wait for itself): that is refused.
    func create(_ instance: IsolatedInstance, frame: WireFrame, timeoutSeconds: Double = 10) -> (Int32, String) {
        guard !loop.inLoopThread else {
            return (AH_ERR_INTERNAL, "isolated instances are created off the loop \(loop.name) their runner lives on (this call would wait for itself)")
        }
        let answer = Mutex<(Int32, String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        loop.execute { [self] in
            instances[frame.instance] = WeakInstance(value: instance)
            let requestID = nextRequest
            nextRequest += 1
            // Replayed after a restart only once the runner created it.
            createWaiters[requestID] = { [self] status, message in
                if status == AH_OK { creations[frame.instance] = frame }
                answer.withLock { $0 = (status, message) }
                done.signal()
            }
            var request = frame
            request.id = requestID
            stopped = false  // a runner stopped when its last instance went serves again
            if !running && restartTimer == nil && failedReason == nil { spawn() }
            enqueue(request)
        }
        guard done.wait(timeout: .now() + timeoutSeconds) == .success, let result = answer.withLock({ $0 }) else {
            return (AH_ERR_TIMEOUT, "the plugin runner for \(label) did not answer within \(Int(timeoutSeconds)) s")
        }
        return result
    }

    func send(_ frame: WireFrame) {
        onLoop { [self] in enqueue(frame) }
    }

    func startCall(_ callID: UInt64, _ frame: WireFrame) {
        let trace = services.tracing.isEnabled ? AmbientTrace.current : nil
        onLoop { [self] in
            pendingCalls[callID] = frame.instance
            if let trace { callTraces[callID] = trace }
            enqueue(frame)
        }
    }

    func startStep(_ stepID: UInt64, _ frame: WireFrame) {
        onLoop { [self] in
            openSteps[stepID] = frame.instance
            enqueue(frame)
        }
    }

    /// Sends the plugin's cancel; a runner that has not finished the work `policy.cancelGrace`
    /// later is killed (and restarted).
    func cancel(_ id: UInt64, isStep: Bool, _ frame: WireFrame) {
        onLoop { [self] in
            guard (isStep ? openSteps[id] : pendingCalls[id]) != nil else { return }
            enqueue(frame)
            let timer = LoopTimer(loop: loop)
            graceTimers[id]?.close()
            graceTimers[id] = timer
            timer.start(after: policy.cancelGraceMilliseconds) { [weak self] in
                guard let self else { return }
                self.closeGrace(id)
                guard (isStep ? self.openSteps[id] : self.pendingCalls[id]) != nil else { return }
                self.kill(because: "\(isStep ? "step" : "tool call") \(id) was not finished \(self.policy.cancelGraceMilliseconds) ms after its cancel")
            }
        }
    }

    func destroy(slot: UInt32) {
        onLoop { [self] in
            instances[slot] = nil
            creations[slot] = nil
            slots.withLock { _ = $0.remove(slot) }
            if running { enqueue(WireFrame(type: Wire.destroy, instance: slot)) }
            if instances.isEmpty { stop() }
        }
    }

    /// The host is shutting down (loop thread): stop for good, kill the process and return its
    /// id for the caller to reap off the loop (the loop stops next, so no reap timer would run).
    func shutDown() -> pid_t? {
        stopped = true
        restartTimer?.close()
        restartTimer = nil
        reapTimer?.close()
        reapTimer = nil
        guard running else { return nil }
        running = false
        if let poll { uv_poll_stop(poll); Self.close(poll); self.poll = nil }
        Glibc.close(socket)
        socket = -1
        _ = Glibc.kill(pid, SIGKILL)
        return pid
    }

    func closeGrace(_ id: UInt64) {
        graceTimers.removeValue(forKey: id)?.close()
    }

    func reply(to request: WireFrame, status: Int32, arg: UInt64 = 0, _ fields: [[UInt8]] = []) {
        write(WireFrame(type: Wire.reply, instance: request.instance, id: request.id, arg: arg, status: status, fields: fields))
    }

    func createAnswered(_ frame: WireFrame) {
        if let waiter = createWaiters.removeValue(forKey: frame.id) { return waiter(frame.status, frame.text(0)) }
        if frame.status != AH_OK {
            services.logger.log(.error, "plugin \(label) tenant \(tenantID)", "recreating instance \(frame.instance) after a restart failed: \(frame.text(0))")
        }
    }

    func helloAnswered(_ frame: WireFrame) {
        guard frame.status == AH_OK else {
            killReason = "it could not open the plugin: \(frame.text(0))"
            return
        }
        if frame.text(0) != Wire.version {
            kill(because: "\(executable) speaks \"\(frame.text(0))\", this host \"\(Wire.version)\": rebuild it (./scripts/setup)")
        }
    }
}
