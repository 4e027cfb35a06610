import CHostShims
import CLibUV
import Dispatch
import Glibc
import Synchronization

/// One libuv loop on one thread. Everything that touches the loop's handles runs on that thread;
/// other threads get in through `execute`, whose `uv_async_send` is libuv's one thread-safe door.
///
/// Lifecycle: `init` → `start()` (own thread) or `run()` (caller's thread) → `stop()`.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: `uv` and the handles are used only on the loop thread; cross-thread state
    // (`inbox`, `threadID`) is behind a Mutex or atomic.
    public let uv: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    /// Batch boundaries for the stall watchdog (`LoopMonitor`): after the poll, before the next wait.
    private let afterPoll: UnsafeMutablePointer<uv_check_t>
    private let beforeWait: UnsafeMutablePointer<uv_prepare_t>
    /// What the loop is busy with, for a `LoopWatchdog`.
    let monitor = LoopMonitor()
    /// Work waiting for the loop thread. `closed` flips once the loop has finished: from then on
    /// `uv_async_send` would write to a closed descriptor (libuv aborts), so work is refused.
    private let inbox = Mutex<(work: [@Sendable () -> Void], closed: Bool)>(([], false))
    /// Loop-thread only: true while drainPending runs (read elsewhere only together with
    /// `inLoopThread`, which is false there).
    nonisolated(unsafe) private var draining = false
    /// Loop-thread only: work for the end of this iteration's callbacks (`beforeWaiting`).
    nonisolated(unsafe) private var iterationEnd: [() -> Void] = []
    private let loopThread = Atomic<UInt>(0)
    private let kernelThread = Atomic<Int32>(0)
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t?
    public let name: String
    /// What `top -H` / `ps -L` show for the thread `start()` creates (docs/operations.md,
    /// "Threads"): `threadName`, else `name`, cut to Linux's 15 bytes.
    public let threadName: String

    public init(name: String = "loop", threadName: String? = nil) {
        self.name = name
        self.threadName = threadName ?? name
        uv = .allocate(capacity: 1)
        uv_loop_init(uv)
        afterPoll = .allocate(capacity: 1)
        beforeWait = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        uv_async_init(uv, wakeup) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            let loop = Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue()
            // Work from other threads starts a busy batch: a watchdog sees it stall while it runs.
            if loop.monitor.threshold.load(ordering: .relaxed) != 0 { loop.monitor.markBusy(uv_hrtime()) }
            loop.drainPending()
        }
        wakeup.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        // The watchdog tells time blocked in epoll from time in callbacks with libuv's idle counter.
        _ = host_uv_loop_enable_idle_time(uv)
        // Both also run `beforeWaiting` work: the check after the poll's I/O callbacks, the prepare
        // after the timers' (and anything queued since), so none of it waits for the next event.
        uv_check_init(uv, afterPoll)
        afterPoll.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_check_start(afterPoll) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            let loop = Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue()
            loop.monitor.pollDidReturn(handle.pointee.loop)
            loop.runIterationEnd()
        }
        uv_prepare_init(uv, beforeWait)
        beforeWait.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_prepare_start(beforeWait) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            let loop = Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue()
            loop.runIterationEnd()
            loop.monitor.loopWillWait(handle.pointee.loop)
        }
        // Neither keeps the loop alive (the wake-up handle does, until stop()).
        uv_unref(uvHandle(afterPoll))
        uv_unref(uvHandle(beforeWait))
    }

    deinit {
        afterPoll.deallocate()
        beforeWait.deallocate()
        wakeup.deallocate()
        uv.deallocate()
    }

    /// The Linux thread id (TID, as in /proc/PID/task/TID and `top -H`) running this loop; 0 before it
    /// runs. Threads the loop's thread creates (libdispatch's and libuv's pool threads) inherit its
    /// name, so the TID, not the name, tells the loop itself apart.
    public var threadID: Int32 { kernelThread.load(ordering: .acquiring) }

    /// True on the thread running this loop.
    public var inLoopThread: Bool { loopThread.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self())) }

    /// Debug builds trap when a loop-confined entry point runs off this loop's thread: the
    /// "loop thread only" of a doc comment, checked. Release builds compile it away (`assert`).
    public func preconditionInLoop(_ function: StaticString = #function, file: StaticString = #fileID, line: UInt = #line) {
        assert(inLoopThread, "\(function) is loop-confined and ran off its loop's thread", file: file, line: line)
    }

    /// [thread-safe] Runs `work` on the loop thread, in submission order. From the loop thread
    /// itself it is still deferred to the next loop iteration (never re-entrant).
    /// Returns false (and drops `work`) once the loop has finished running.
    @discardableResult
    public func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        // Work queued by the loop thread while it drains is picked up by the same drain: no
        // eventfd wake-up needed (the orchestration defers most of its steps this way).
        let sameThreadDrain = inLoopThread && draining  // order matters: `draining` is loop-thread only
        return inbox.withLock { inbox in
            guard !inbox.closed else { return false }
            inbox.work.append(work)
            // Sent under the lock so it can never race with the loop closing the async handle.
            if !sameThreadDrain { uv_async_send(wakeup) }
            return true
        }
    }

    /// [thread-safe] Runs `work` on the loop thread and waits for its result: inline when already
    /// on the loop thread, nil when the loop has finished. Never call it from a loop callback of
    /// another loop that this loop waits on.
    public func submitAndWait<T: Sendable>(_ work: @escaping @Sendable () -> T) -> T? {
        if inLoopThread { return work() }
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        guard execute({ result.withLock { $0 = work() }; done.signal() }) else { return nil }
        done.wait()
        return result.withLock { $0 }
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        kernelThread.store(host_thread_id(), ordering: .releasing)
        loopThread.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
        var clock = clockid_t()
        if pthread_getcpuclockid(pthread_self(), &clock) == 0 { monitor.threadClock.store(Int64(clock), ordering: .releasing) }
        uv_run(uv, UV_RUN_DEFAULT)
        monitor.threadClock.store(LoopMonitor.noClock, ordering: .releasing)
        monitor.loopStopped()
        // Work queued before this point still runs; later `execute` calls are refused.
        inbox.withLock { $0.closed = true }
        drainPending()
        runIterationEnd()
        closeAllHandles()
    }

    /// Starts a dedicated thread running the loop.
    public func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let created = pthread_create(&tid, nil, { raw in
            guard let raw else { return nil }
            let loop = Unmanaged<EventLoop>.fromOpaque(raw).takeRetainedValue()
            ThreadName.set(loop.threadName)
            loop.run()
            return nil
        }, box)
        precondition(created == 0, "pthread_create failed for event loop \(name): \(created)")
        thread = tid
        // Wait until the thread registered itself so `inLoopThread` is meaningful at once.
        while loopThread.load(ordering: .acquiring) == 0 { sched_yield() }
    }

    /// [thread-safe] Stops the loop after the work already submitted; joins its thread if `start()`ed.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        execute { [self] in uv_stop(self.uv) }
        if let thread, !inLoopThread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    /// Runs `body` labelled as `activity` for the loop's stall watchdog: a stall while it runs
    /// names it (`LoopWatchdog`). Nested calls name the innermost. Loop thread; called elsewhere,
    /// or with no watchdog attached, it only runs `body` (one atomic load; `activity` is not built).
    @inline(__always)
    public func during<T, E: Error>(_ activity: @autoclosure () -> LoopActivity, _ body: () throws(E) -> T) throws(E) -> T {
        let threshold = monitor.threshold.load(ordering: .relaxed)
        guard threshold != 0, inLoopThread else { return try body() }
        return try monitor.during(activity(), threshold: threshold, body)
    }

    /// [loop thread] Runs `work` once this iteration's callbacks are done, before the loop next
    /// blocks waiting for events: what a connection uses to write everything it was asked to send
    /// in one iteration as one write (one syscall, one loopback delivery, instead of one per frame).
    public func beforeWaiting(_ work: @escaping () -> Void) {
        preconditionInLoop()
        iterationEnd.append(work)
    }

    private func runIterationEnd() {
        while !iterationEnd.isEmpty {
            let batch = iterationEnd
            iterationEnd.removeAll(keepingCapacity: true)
            for work in batch { work() }
        }
    }

    private func drainPending() {
        draining = true
        defer { draining = false }
        while true {
            let batch = inbox.withLock { inbox -> [@Sendable () -> Void] in
                defer { inbox.work.removeAll(keepingCapacity: true) }
                return inbox.work
            }
            if batch.isEmpty { return }
            for work in batch { work() }
        }
    }

    /// Closes every handle still open (libuv requires it before uv_loop_close), then closes the loop.
    private func closeAllHandles() {
        uv_walk(uv, { handle, _ in
            guard let handle, uv_is_closing(handle) == 0 else { return }
            uv_close(handle, nil)
        }, nil)
        uv_run(uv, UV_RUN_DEFAULT)
        uv_loop_close(uv)
    }

    /// Milliseconds of the loop's clock (cached per iteration, as libuv does).
    public var nowMilliseconds: UInt64 { uv_now(uv) }
}
