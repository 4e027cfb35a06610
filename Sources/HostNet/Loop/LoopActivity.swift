import CHostShims
import CLibUV
import Synchronization

/// What code on a loop is doing, for the stall watchdog (`LoopWatchdog`): a route
/// (`POST /v1/chat`) or a plugin call (`com.agenthost.support.triage step`). Set it with
/// `EventLoop.during(_:_:)` around work that could take long. It holds two strings and builds
/// nothing: a literal or a string that already exists (a request's method and path, a plugin's
/// id) costs no allocation; the text is only joined when a stall is reported.
public struct LoopActivity: Sendable, Equatable, CustomStringConvertible {
    public let subject: String
    public let action: String

    public init(_ subject: String, _ action: String = "") {
        self.subject = subject
        self.action = action
    }

    /// "subject action", cut to 200 characters (a path can be 16 KiB long).
    public var description: String {
        let text = action.isEmpty ? subject : "\(subject) \(action)"
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// One stall of a loop: it ran callbacks without returning to wait for events for `seconds`.
public struct LoopStall: Sendable {
    /// How long the loop was busy (so far, when `ongoing`).
    public let seconds: Double
    /// The labelled activity that was running: the innermost one that lasted past the threshold,
    /// else the one the watchdog saw running when the stall crossed the threshold; nil when no
    /// labelled activity was running (e.g. a WebSocket frame handler, a timer).
    public let activity: LoopActivity?
    /// True for a report made while the stall still lasts (after 1 s, 2 s, 4 s, …): the loop may
    /// be hung. The stall is reported once more, with `ongoing` false, when it ends.
    public let ongoing: Bool
    /// How much of `seconds` the loop thread spent on a CPU (measured to within the watchdog's
    /// tick; nil when unknown). Well below `seconds`: the thread was not running its code but
    /// waiting, for a CPU (an overloaded machine) or in a blocking call (sleep, I/O, a lock).
    public let cpuSeconds: Double?

    public init(seconds: Double, activity: LoopActivity?, ongoing: Bool, cpuSeconds: Double? = nil) {
        self.seconds = seconds
        self.activity = activity
        self.ongoing = ongoing
        self.cpuSeconds = cpuSeconds
    }
}

/// The loop's side of stall detection: when the current callback batch began and which activity
/// runs. A batch is everything the loop does between two waits for events (libuv's timers,
/// pending, check and closing phases, and the I/O callbacks of one poll).
///
/// The loop thread keeps it current at almost no cost: a `uv_check` handle (after the poll's I/O
/// callbacks) and a `uv_prepare` handle (just before the next wait) each read the monotonic clock
/// once; `during` and the `execute` drain mark the batch busy as they start, so a watchdog sees a
/// stall while it lasts. I/O callbacks that mark nothing are still measured: at the check, libuv's
/// idle-time counter (UV_METRICS_IDLE_TIME) tells the time blocked in epoll from the time spent in
/// callbacks. With no watchdog attached (`threshold` 0) every hook returns after one atomic load.
final class LoopMonitor: @unchecked Sendable {
    // @unchecked: the atomics and mutexes are shared with the watchdog thread; the plain vars
    // below them are touched only on the loop thread.

    /// A batch that went over the threshold, handed from the loop thread to the watchdog.
    struct EndedStall {
        let batch: UInt64
        let nanoseconds: UInt64
        let activity: LoopActivity?
    }

    /// Monotonic ns (uv_hrtime) when the current batch began; 0 while the loop waits for events.
    let busySince = Atomic<UInt64>(0)
    /// Counts batches (one per loop iteration); a stall is matched to the watchdog's sighting by it.
    let batch = Atomic<UInt64>(0)
    /// Nanoseconds past which a batch is a stall; 0: no watchdog, no bookkeeping.
    let threshold = Atomic<UInt64>(0)
    /// The innermost activity running now, for the watchdog to read mid-stall.
    let current = Mutex<LoopActivity?>(nil)
    /// Stalls that ended and wait for the watchdog to report them.
    let ended = Mutex<[EndedStall]>([])
    /// The loop thread's CPU-time clock (pthread_getcpuclockid, a negative id) while it runs the
    /// loop; `noClock` otherwise.
    let threadClock = Atomic<Int64>(LoopMonitor.noClock)
    static let noClock = Int64.min
    /// Counts attachments, so a prepare time from before a detach is never used after a re-attach.
    private let attachment = Atomic<UInt64>(0)

    // Loop thread only.
    private var innermost: LoopActivity?
    /// The first (innermost) activity of this batch that lasted past the threshold by itself.
    private var culprit: LoopActivity?
    private var preparedAt: UInt64 = 0
    private var preparedAttachment: UInt64 = 0
    private var idleAtPrepare: UInt64 = 0

    /// [loop thread] The batch is busy from `now` unless it already was.
    @inline(__always)
    func markBusy(_ now: UInt64) {
        if busySince.load(ordering: .relaxed) == 0 { busySince.store(now, ordering: .releasing) }
    }

    /// [loop thread] Runs `body` as `activity`; see `EventLoop.during`.
    func during<T, E: Error>(_ activity: LoopActivity, threshold: UInt64, _ body: () throws(E) -> T) throws(E) -> T {
        let start = uv_hrtime()
        markBusy(start)
        let outer = innermost
        innermost = activity
        current.withLock { $0 = activity }
        defer {
            if culprit == nil, uv_hrtime() &- start >= threshold { culprit = activity }
            innermost = outer
            current.withLock { $0 = outer }
        }
        return try body()
    }

    /// [loop thread] uv_check: the poll's I/O callbacks are done. The batch began when the first
    /// of them did: now minus the poll phase's time that libuv did not spend blocked in epoll.
    func pollDidReturn(_ uv: UnsafeMutablePointer<uv_loop_t>) {
        guard threshold.load(ordering: .relaxed) != 0 else { return }
        let now = uv_hrtime()
        var start = now
        if preparedAt != 0, preparedAttachment == attachment.load(ordering: .relaxed) {
            let blocked = uv_metrics_idle_time(uv) &- idleAtPrepare
            let phase = now &- preparedAt
            if phase > blocked { start = now - (phase - blocked) }
        }
        let marked = busySince.load(ordering: .relaxed)
        if marked == 0 || start < marked { busySince.store(start, ordering: .releasing) }
    }

    /// [loop thread] uv_prepare: the loop is about to wait for events; the batch ends.
    func loopWillWait(_ uv: UnsafeMutablePointer<uv_loop_t>) {
        let threshold = threshold.load(ordering: .relaxed)
        guard threshold != 0 else { return }
        let now = uv_hrtime()
        let start = busySince.load(ordering: .relaxed)
        if start != 0, now &- start >= threshold {
            let stall = EndedStall(batch: batch.load(ordering: .relaxed), nanoseconds: now &- start, activity: culprit)
            ended.withLock { $0.append(stall) }
        }
        culprit = nil
        busySince.store(0, ordering: .releasing)
        batch.add(1, ordering: .releasing)
        preparedAt = now
        preparedAttachment = attachment.load(ordering: .relaxed)
        idleAtPrepare = uv_metrics_idle_time(uv)
    }

    /// [loop thread] The loop stopped running: nothing is busy any more.
    func loopStopped() {
        busySince.store(0, ordering: .releasing)
        batch.add(1, ordering: .releasing)
        preparedAt = 0
    }

    /// Attaches a watchdog; false when one already watches this loop.
    func attach(thresholdNanoseconds: UInt64) -> Bool {
        attachment.add(1, ordering: .releasing)
        return threshold.compareExchange(expected: 0, desired: max(thresholdNanoseconds, 1), ordering: .acquiringAndReleasing).exchanged
    }

    func detach() {
        threshold.store(0, ordering: .releasing)
    }
}
