import CLibUV
import Glibc
import HostNet
import PluginABI

/// A runner process's life on its loop: spawn, non-blocking socket I/O, death (EOF,
/// garbage, kill), reaping without blocking, failing what it had, restarting with backoff, and
/// stopping for good after repeated crashes.
extension RunnerProcess {
    func spawn() {
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
        let arguments = [executable, pluginPath, tenantID, String(maxMemoryMB), String(policy.spinMicroseconds)]
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

    func watch(writable: Bool) {
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

    /// Queues `frame` and writes it at once, or, while a batch read from the runner is being
    /// handled, once after the batch together with every other answer (one write, one wake-up).
    func write(_ frame: WireFrame) {
        frame.encode(into: &outbox)
        if !batching { flush() }
    }

    func flush() {
        guard running else { return }
        var written = 0
        while written < outbox.count {
            // MSG_NOSIGNAL: a runner that died is noticed as EPIPE here, not as SIGPIPE.
            let n = outbox.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + written, $0.count - written, Int32(MSG_NOSIGNAL)) }
            if n > 0 { written += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            outbox.removeAll()
            return died(nil)
        }
        if written == outbox.count { outbox.removeAll(keepingCapacity: outbox.capacity <= 1 << 20) } else { outbox.removeFirst(written) }
        let needWritable = !outbox.isEmpty
        if needWritable != writing { writing = needWritable; watch(writable: needWritable) }
    }

    /// Reads what the runner sent and handles every whole frame; the answers go out in one write
    /// after the batch. At most `maxReadsPerWakeup` reads (1 MiB) per wake-up: a runner that never
    /// stops sending cannot keep the loop from its other work (the poll fires again next round).
    func readAvailable() {
        batching = true
        defer {
            batching = false
            if running && !outbox.isEmpty && !writing { flush() }
        }
        for _ in 0..<Self.maxReadsPerWakeup {
            guard running else { return }
            let n = Glibc.read(socket, readBuffer.baseAddress!, readBuffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            if n <= 0 { return died(nil) }
            decoder.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            do {
                while running, let frame = try decoder.next() { handle(frame) }
            } catch {
                return kill(because: "it sent bytes that are not a frame (\(error.description))")
            }
            if n < readBuffer.count { return }  // drained: skip the read that would say EAGAIN
        }
    }

    static let maxReadsPerWakeup = 16

    /// Kills the runner (SIGKILL) and handles it as a crash with `reason`.
    func kill(because reason: String) {
        guard running else { return }
        killReason = reason
        died(nil)
    }

    /// The connection ended (EOF, error, garbage, kill): stop using it, make sure the process is
    /// gone, reap it without blocking the loop, then fail what it had and restart it.
    func died(_ startFailure: String?) {
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

    static func close(_ poll: UnsafeMutablePointer<uv_poll_t>) {
        poll.withMemoryRebound(to: uv_handle_t.self, capacity: 1) { uv_close($0) { $0?.deallocate() } }
    }

    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGKILL: "SIGKILL", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGTERM: "SIGTERM"]
        return "killed by \(names[signal] ?? "signal \(signal)")"
    }

    func crashed(_ how: String) {
        generation += 1
        graceTimers.values.forEach { $0.close() }
        graceTimers.removeAll()
        let cause = killReason.map { "the host killed it: \($0)" } ?? how
        let message = "plugin \(label) crashed (\(cause)); tenant \(tenantID)'s other plugins and other tenants were not affected"
        services.logger.log(.error, "plugin \(label) tenant \(tenantID)", message + " (memory cap \(maxMemoryMB) MB)")
        let router = services.router
        for callID in pendingCalls.keys.sorted() { router.complete(callID: callID, status: AH_ERR_INTERNAL, output: "The tool could not finish: \(message).") }
        pendingCalls.removeAll()
        callTraces.removeAll()
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
        restarts += 1
        services.metrics.increment("agent_host_plugin_restarts_total", labels: ["tenant": tenantID, "plugin": label])
        // Doubled per recent crash up to the longest delay (a loop, not a shift: `max_crashes` may
        // be large enough for a shift to overflow).
        var backoff = policy.restartBackoffMilliseconds
        for _ in 1..<crashes.count where backoff < policy.maxBackoffMilliseconds { backoff *= 2 }
        backoff = min(backoff, policy.maxBackoffMilliseconds)
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
    func refuse(_ frame: WireFrame, _ reason: String) {
        switch frame.type {
        case Wire.invoke:
            callEnded(frame.id)
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
    func stop() {
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
}
