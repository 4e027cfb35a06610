import CLibUV
import Dispatch
import Glibc
import Synchronization

/// Watches one `EventLoop` from its own thread and reports every stall: a batch of callbacks that
/// kept the loop from waiting for events for longer than `thresholdMilliseconds` (while it runs,
/// no other caller of the loop is served). Each stall is reported once when it ends, with its
/// duration and the labelled activity (`EventLoop.during`) that was running; a stall still
/// running after 1 s, 2 s, 4 s, … (`firstOngoingReportMilliseconds`, doubling) is also reported
/// as `ongoing`: a hung loop says where it hangs.
///
/// The thread wakes every `tickMilliseconds` while the loop waits, and exactly at the threshold of
/// a busy batch it saw start, to read the activity label then; `report` runs on this thread.
/// One watchdog per loop: `start()` returns false when the loop already has one.
public final class LoopWatchdog: @unchecked Sendable {
    // @unchecked: `thread` is touched only by start()/stop(), which callers do not race; the
    // rest is immutable, atomic, or the watchdog thread's own (`cpuReadings`). The running
    // thread holds the watchdog: call stop().
    public let loop: EventLoop
    public let thresholdMilliseconds: UInt64
    private let tickNanoseconds: UInt64
    private let firstOngoingNanoseconds: UInt64
    private let report: @Sendable (LoopStall) -> Void
    private let wake = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t?

    public init(loop: EventLoop, thresholdMilliseconds: UInt64 = 50, tickMilliseconds: UInt64 = 10,
                firstOngoingReportMilliseconds: UInt64 = 1_000, report: @escaping @Sendable (LoopStall) -> Void) {
        self.loop = loop
        self.thresholdMilliseconds = max(thresholdMilliseconds, 1)
        tickNanoseconds = max(tickMilliseconds, 1) * 1_000_000
        firstOngoingNanoseconds = max(firstOngoingReportMilliseconds, thresholdMilliseconds, 1) * 1_000_000
        self.report = report
    }

    /// Starts watching; false (and nothing started) when another watchdog watches the loop.
    @discardableResult
    public func start() -> Bool {
        guard thread == nil, loop.monitor.attach(thresholdNanoseconds: thresholdMilliseconds * 1_000_000) else { return false }
        // A first reading of the loop's CPU time, so a stall starting before the thread's first
        // tick is still measured (the thread starts after this write).
        if let cpu = loopCPU(loop.monitor) { cpuReadings.append((uv_hrtime(), cpu)) }
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let created = pthread_create(&tid, nil, { raw in
            guard let raw else { return nil }
            let watchdog = Unmanaged<LoopWatchdog>.fromOpaque(raw).takeRetainedValue()
            ThreadName.set("wd-" + watchdog.loop.threadName)
            watchdog.watch()
            return nil
        }, box)
        precondition(created == 0, "pthread_create failed for the watchdog of loop \(loop.name): \(created)")
        thread = tid
        return true
    }

    /// Stops watching and joins the thread; stalls that ended before are still reported.
    public func stop() {
        guard let thread, !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        pthread_join(thread, nil)
        self.thread = nil
        loop.monitor.detach()
    }

    // MARK: the watchdog thread

    /// The busy batch it has seen pass the threshold.
    private struct Sighting {
        let batch: UInt64
        var activity: LoopActivity?
        var nextOngoingReport: UInt64
        /// The loop thread's CPU time at a tick no later than the batch began (nil: unknown).
        let cpuAtStart: UInt64?
    }

    /// The loop thread's CPU time read at recent ticks (wall ns, CPU ns), oldest first: enough
    /// to find a reading from before any batch that just crossed the threshold.
    private var cpuReadings: [(wall: UInt64, cpu: UInt64)] = []

    /// The loop thread's CPU time now (a clock_gettime on its CPU-time clock: this thread's cost).
    private func loopCPU(_ monitor: LoopMonitor) -> UInt64? {
        let clock = monitor.threadClock.load(ordering: .acquiring)
        guard clock != LoopMonitor.noClock else { return nil }
        var now = timespec()
        guard clock_gettime(clockid_t(clock), &now) == 0 else { return nil }
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    private func cpuSeconds(since start: UInt64?, _ monitor: LoopMonitor, atMost seconds: Double) -> Double? {
        guard let start, let now = loopCPU(monitor), now >= start else { return nil }
        return min(Double(now - start) / 1e9, seconds)
    }

    private func watch() {
        let monitor = loop.monitor
        let threshold = thresholdMilliseconds * 1_000_000
        var sighting: Sighting?
        while !stopping.load(ordering: .acquiring) {
            sighting = reportEnded(monitor, sighting)
            var sleep = tickNanoseconds
            let batch = monitor.batch.load(ordering: .acquiring)
            let since = monitor.busySince.load(ordering: .acquiring)
            let now = uv_hrtime()
            if let cpu = loopCPU(monitor) {
                if cpuReadings.count > Int(thresholdMilliseconds * 1_000_000 / tickNanoseconds) + 4 { cpuReadings.removeFirst() }
                cpuReadings.append((now, cpu))
            }
            if since != 0, now > since {
                let busy = now - since
                if busy >= threshold {
                    let activity = monitor.current.withLock { $0 }
                    // Read again: the batch may have ended (and another begun) meanwhile.
                    if monitor.batch.load(ordering: .acquiring) == batch {
                        if sighting?.batch != batch {
                            let before = cpuReadings.last { $0.wall <= since }?.cpu
                            sighting = Sighting(batch: batch, activity: activity, nextOngoingReport: firstOngoingNanoseconds, cpuAtStart: before)
                        } else if sighting?.activity == nil {
                            sighting?.activity = activity
                        }
                        if let seen = sighting, busy >= seen.nextOngoingReport {
                            let seconds = Double(busy) / 1e9
                            report(LoopStall(seconds: seconds, activity: seen.activity, ongoing: true,
                                             cpuSeconds: cpuSeconds(since: seen.cpuAtStart, monitor, atMost: seconds)))
                            sighting?.nextOngoingReport = seen.nextOngoingReport * 2
                        }
                    }
                } else {
                    // Wake exactly when this batch would become a stall, to see what runs then.
                    sleep = min(sleep, threshold - busy + 200_000)
                }
            }
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(sleep)))
        }
        _ = reportEnded(monitor, sighting)
    }

    /// Reports the stalls the loop finished; returns the sighting still open, if any.
    private func reportEnded(_ monitor: LoopMonitor, _ sighting: Sighting?) -> Sighting? {
        let ended = monitor.ended.withLock { stalls -> [LoopMonitor.EndedStall] in
            defer { stalls.removeAll(keepingCapacity: true) }
            return stalls
        }
        var open = sighting
        for stall in ended {
            var activity = stall.activity
            var cpuAtStart: UInt64?
            if let seen = open, seen.batch == stall.batch {
                activity = activity ?? seen.activity
                cpuAtStart = seen.cpuAtStart
                open = nil
            }
            let seconds = Double(stall.nanoseconds) / 1e9
            report(LoopStall(seconds: seconds, activity: activity, ongoing: false,
                             cpuSeconds: cpuSeconds(since: cpuAtStart, monitor, atMost: seconds)))
        }
        return open
    }
}
