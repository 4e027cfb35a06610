import CLibUV
import Dispatch
import Glibc
import HostNet
import PluginABI
import Synchronization

/// One plugin runner process for one (tenant, plugin file): starts it, talks to it over its
/// socket on the runners' loop (never blocking), and supervises it. A runner that dies, sends
/// garbage or outlives a cancel's grace period is killed, its pending calls and steps fail, and
/// it restarts with exponential backoff until it crashes too often, when it is marked failed.
final class RunnerProcess: @unchecked Sendable {
    // @unchecked: the `var`s below are confined to `loop` (the runners' loop thread), except
    // `failure` and `slots`, which are behind Mutexes.
    let pluginPath: String
    let tenantID: String
    /// The plugin's file name: how logs, metrics and /health name it.
    let label: String
    let maxMemoryMB: Int
    let policy: IsolationPolicy
    let services: HostServices
    let loop: EventLoop
    private let executable: String

    private let failure = Mutex<String?>(nil)
    private let slots = Mutex<Set<UInt32>>([])

    private var pid: pid_t = 0
    private var socket: Int32 = -1
    private var poll: UnsafeMutablePointer<uv_poll_t>?
    private var decoder = WireDecoder()
    private var outbox: [UInt8] = []
    private var writing = false
    private var running = false
    private var stopped = false
    private var killReason: String?
    /// Frames held while the runner restarts, sent once it is back.
    private var held: [WireFrame] = []
    /// Bumped at each death: answers (HTTP, timers) for an earlier process are dropped.
    private(set) var generation = 0
    private var crashes: [UInt64] = []
    private var restartTimer: LoopTimer?
    private var reapTimer: LoopTimer?
    private var graceTimers: [UInt64: LoopTimer] = [:]
    private var nextRequest: UInt64 = 1

    var instances: [UInt32: WeakInstance] = [:]
    private var creations: [UInt32: WireFrame] = [:]
    private var createWaiters: [UInt64: @Sendable (Int32, String) -> Void] = [:]
    /// Tool calls and steps the runner has been given and not finished, by id → instance.
    var pendingCalls: [UInt64: UInt32] = [:]
    var openSteps: [UInt64: UInt32] = [:]

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

    // MARK: - requests from the host side ([thread-safe]; they hop to the loop)

    /// Creates an instance in the runner (started on first use) and waits for the answer.
    /// Never call it on the runners' loop.
    func create(_ instance: IsolatedInstance, frame: WireFrame, timeoutSeconds: Double = 10) -> (Int32, String) {
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
        loop.execute { [self] in enqueue(frame) }
    }

    func startCall(_ callID: UInt64, _ frame: WireFrame) {
        loop.execute { [self] in
            pendingCalls[callID] = frame.instance
            enqueue(frame)
        }
    }

    func startStep(_ stepID: UInt64, _ frame: WireFrame) {
        loop.execute { [self] in
            openSteps[stepID] = frame.instance
            enqueue(frame)
        }
    }

    /// Sends the plugin's cancel; a runner that has not finished the work `policy.cancelGrace`
    /// later is killed (and restarted).
    func cancel(_ id: UInt64, isStep: Bool, _ frame: WireFrame) {
        loop.execute { [self] in
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
        loop.execute { [self] in
            instances[slot] = nil
            creations[slot] = nil
            slots.withLock { _ = $0.remove(slot) }
            if running { enqueue(WireFrame(type: Wire.destroy, instance: slot)) }
            if instances.isEmpty { stop() }
        }
    }

    // MARK: - the process (loop thread)

    private func spawn() {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            return died("socketpair failed: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)  // the plugin's stdout goes to the host's stderr, not its log stream
        posix_spawn_file_actions_adddup2(&actions, fds[1], 3)
        let arguments = [executable, pluginPath, tenantID, String(maxMemoryMB)]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environment: [UnsafeMutablePointer<CChar>?] = [nil]  // empty: no keys or secrets reach a plugin
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, &argv, &environment)
        Glibc.close(fds[1])
        guard result == 0 else {
            Glibc.close(fds[0])
            return died("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        pid = child
        socket = fds[0]
        running = true
        killReason = nil
        decoder = WireDecoder()
        outbox.removeAll()
        let handle = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
        uv_poll_init(loop.uv, handle, socket)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        poll = handle
        watch(writable: false)
        // Recreate every live instance first (the runner handles frames in order), then what waited.
        for (slot, frame) in creations.sorted(by: { $0.key < $1.key }) where instances[slot]?.value != nil {
            var replay = frame
            replay.id = 0
            write(replay)
        }
        let waiting = held
        held.removeAll()
        waiting.forEach { enqueue($0) }
    }

    private func watch(writable: Bool) {
        guard let poll else { return }
        let events = Int32(UV_READABLE.rawValue) | (writable ? Int32(UV_WRITABLE.rawValue) : 0)
        uv_poll_start(poll, events) { handle, status, events in
            guard let data = handle?.pointee.data else { return }
            let runner = Unmanaged<RunnerProcess>.fromOpaque(data).takeUnretainedValue()
            if status < 0 { return runner.died(nil) }
            if events & Int32(UV_WRITABLE.rawValue) != 0 { runner.flush() }
            if events & Int32(UV_READABLE.rawValue) != 0 { runner.readAvailable() }
        }
    }

    func enqueue(_ frame: WireFrame) {
        if let reason = failedReason { return refuse(frame, reason) }
        guard running else { return held.append(frame) }
        write(frame)
    }

    private func write(_ frame: WireFrame) {
        outbox.append(contentsOf: frame.encoded())
        flush()
    }

    private func flush() {
        guard running else { return }
        var written = 0
        while written < outbox.count {
            let n = outbox.withUnsafeBytes { Glibc.write(socket, $0.baseAddress! + written, $0.count - written) }
            if n > 0 { written += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            outbox.removeAll()
            return died(nil)
        }
        outbox.removeFirst(written)
        let needWritable = !outbox.isEmpty
        if needWritable != writing { writing = needWritable; watch(writable: needWritable) }
    }

    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while running {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(socket, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            if n <= 0 { return died(nil) }
            chunk.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            do {
                while running, let frame = try decoder.next() { handle(frame) }
            } catch {
                return kill(because: "it sent bytes that are not a frame (\(error.description))")
            }
        }
    }

    /// Kills the runner (SIGKILL) and handles it as a crash with `reason`.
    func kill(because reason: String) {
        guard running else { return }
        killReason = reason
        died(nil)
    }

    /// The connection ended (EOF, error, garbage, kill): stop using it, make sure the process is
    /// gone, reap it without blocking the loop, then fail what it had and restart it.
    private func died(_ startFailure: String?) {
        let wasRunning = running
        running = false
        writing = false
        if let poll {
            uv_poll_stop(poll)
            Self.close(poll)
            self.poll = nil
        }
        if socket >= 0 { Glibc.close(socket); socket = -1 }
        guard wasRunning else {
            if let startFailure { crashed(startFailure) }
            return
        }
        let child = pid
        _ = Glibc.kill(child, SIGKILL)
        let timer = reapTimer ?? LoopTimer(loop: loop)
        reapTimer = timer
        var waited = 0
        timer.start(after: 1, repeat: 5) { [weak self] in
            var status: Int32 = 0
            let result = waitpid(child, &status, WNOHANG)
            waited += 5
            guard result != 0 || waited > 5000 else { return }
            timer.stop()
            guard let self, !self.stopped else { return }
            self.crashed(result == child ? Self.describe(status) : "exited")
        }
    }

    private static func close(_ poll: UnsafeMutablePointer<uv_poll_t>) {
        poll.withMemoryRebound(to: uv_handle_t.self, capacity: 1) { uv_close($0) { $0?.deallocate() } }
    }

    private static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGKILL: "SIGKILL", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGTERM: "SIGTERM"]
        return "killed by \(names[signal] ?? "signal \(signal)")"
    }

    private func crashed(_ how: String) {
        generation += 1
        graceTimers.values.forEach { $0.close() }
        graceTimers.removeAll()
        let cause = killReason.map { "the host killed it: \($0)" } ?? how
        let message = "plugin \(label) crashed (\(cause)); tenant \(tenantID)'s other plugins and other tenants were not affected"
        services.logger.log(.error, "plugin \(label) tenant \(tenantID)", message + " (memory cap \(maxMemoryMB) MB)")
        let router = services.router
        for callID in pendingCalls.keys.sorted() { router.complete(callID: callID, status: AH_ERR_INTERNAL, output: "The tool could not finish: \(message).") }
        pendingCalls.removeAll()
        for stepID in openSteps.keys.sorted() { router.closeStep(stepID)?.crashed(message: message) }
        openSteps.removeAll()
        for waiter in createWaiters.values { waiter(AH_ERR_INTERNAL, message) }
        createWaiters.removeAll()

        let now = loop.nowMilliseconds
        crashes = crashes.filter { now - $0 < policy.crashWindowMilliseconds } + [now]
        if crashes.count >= policy.maxCrashes {
            let reason = "plugin \(label) crashed \(crashes.count) times within \(policy.crashWindowMilliseconds / 1000) s and was stopped for tenant \(tenantID): fix the plugin, then restart the host"
            failure.withLock { $0 = reason }
            services.logger.log(.error, "plugin \(label) tenant \(tenantID)", reason)
            let waiting = held
            held.removeAll()
            waiting.forEach { refuse($0, reason) }
            return
        }
        services.metrics.increment("agent_host_plugin_restarts_total", labels: ["tenant": tenantID, "plugin": label])
        let backoff = min(policy.restartBackoffMilliseconds << UInt64(crashes.count - 1), policy.maxBackoffMilliseconds)
        let timer = restartTimer ?? LoopTimer(loop: loop)
        restartTimer = timer
        timer.start(after: backoff) { [weak self] in
            guard let self, !self.stopped, !self.running else { return }
            self.restartTimer?.close()
            self.restartTimer = nil
            self.spawn()
        }
    }

    /// A frame that cannot be delivered because the plugin is stopped: fail what waits on it.
    private func refuse(_ frame: WireFrame, _ reason: String) {
        switch frame.type {
        case Wire.invoke:
            pendingCalls[frame.id] = nil
            services.router.complete(callID: frame.id, status: AH_ERR_UNAVAILABLE, output: "The tool is unavailable: \(reason).")
        case Wire.step:
            openSteps[frame.id] = nil
            services.router.closeStep(frame.id)?.crashed(message: reason)
        case Wire.create:
            createWaiters.removeValue(forKey: frame.id)?(AH_ERR_UNAVAILABLE, reason)
        default: break
        }
    }

    /// No instance uses the runner any more: close its socket (it exits) and reap it.
    private func stop() {
        stopped = true
        restartTimer?.close()
        restartTimer = nil
        guard running else { return }
        let child = pid
        running = false
        if let poll { uv_poll_stop(poll); Self.close(poll); self.poll = nil }
        Glibc.close(socket)
        socket = -1
        _ = Glibc.kill(child, SIGKILL)
        let timer = LoopTimer(loop: loop)
        var tries = 0
        timer.start(after: 5, repeat: 20) {
            var status: Int32 = 0
            tries += 1
            if waitpid(child, &status, WNOHANG) != 0 || tries > 250 { timer.close() }
        }
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

/// How isolated plugins are supervised (docs/operations.md, "Isolated plugins").
public struct IsolationPolicy: Sendable {
    /// How long a runner may take to finish a cancelled step or tool call before it is killed.
    public var cancelGraceMilliseconds: UInt64 = 2_000
    /// First restart delay; doubles with each recent crash up to `maxBackoffMilliseconds`.
    public var restartBackoffMilliseconds: UInt64 = 100
    public var maxBackoffMilliseconds: UInt64 = 5_000
    /// `maxCrashes` crashes within `crashWindowMilliseconds` mark the plugin failed for the tenant.
    public var maxCrashes = 5
    public var crashWindowMilliseconds: UInt64 = 60_000

    public init() {}
}
