import CLibUV
import Glibc
import Synchronization

/// One libuv loop on one thread. Everything that touches the loop's handles runs on that thread;
/// other threads get in through `execute`, whose `uv_async_send` is libuv's one thread-safe door.
///
/// Lifecycle: `init` → `start()` (own thread) or `run()` (caller's thread) → `stop()`.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: `uv` and the handles are used only on the loop thread; cross-thread state
    // (`pending`, `threadID`) is behind a Mutex or atomic.
    public let uv: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let loopThread = Atomic<UInt>(0)
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t?
    public let name: String

    public init(name: String = "loop") {
        self.name = name
        uv = .allocate(capacity: 1)
        uv_loop_init(uv)
        wakeup = .allocate(capacity: 1)
        uv_async_init(uv, wakeup) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().drainPending()
        }
        wakeup.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        wakeup.deallocate()
        uv.deallocate()
    }

    /// True on the thread running this loop.
    public var inLoopThread: Bool { loopThread.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self())) }

    /// [thread-safe] Runs `work` on the loop thread, in submission order. From the loop thread
    /// itself it is still deferred to the next loop iteration (never re-entrant).
    public func execute(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(work) }
        uv_async_send(wakeup)
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        loopThread.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
        uv_run(uv, UV_RUN_DEFAULT)
        drainPending()
        closeAllHandles()
    }

    /// Starts a dedicated thread running the loop.
    public func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let created = pthread_create(&tid, nil, { raw in
            guard let raw else { return nil }
            let loop = Unmanaged<EventLoop>.fromOpaque(raw).takeRetainedValue()
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

    private func drainPending() {
        while true {
            let batch = pending.withLock { work -> [@Sendable () -> Void] in
                defer { work.removeAll(keepingCapacity: true) }
                return work
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
