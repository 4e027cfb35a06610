import Foundation
import HostNet
import Synchronization

/// Measures how late a 1 ms repeating timer fires on a loop: the longest time the loop was busy —
/// and, for that longest stall, how much of it the loop's thread actually ran. A loop is late
/// either because its callbacks ran long (the thread on the CPU) or because the kernel ran
/// something else (preempted; on two shared cores, the benchmark's own clients and redis-server
/// compete with the host's loops). The split (`longestOnCPUMilliseconds`) tells the two apart
/// without a profiler: the thread's CPU clock against the wall clock over the same interval.
final class StallProbe: @unchecked Sendable {
    // @unchecked: `last`, `lastCPU` and the timer are loop-thread only; the figures are atomic.
    private let loop: EventLoop
    private var timer: LoopTimer?
    private var last: UInt64 = 0
    private var lastCPU: UInt64 = 0
    private let longest = Atomic<UInt64>(0)
    /// CPU time the loop's thread used over the interval that ended the longest stall.
    private let longestOnCPU = Atomic<UInt64>(0)
    /// The interval (1 ms + the stall) that `longestOnCPU` is a part of.
    private let longestInterval = Atomic<UInt64>(0)

    init(loop: EventLoop) {
        self.loop = loop
        loop.execute { [self] in
            let timer = LoopTimer(loop: loop)
            self.timer = timer
            last = DispatchTime.now().uptimeNanoseconds
            lastCPU = cpuNanoseconds()
            timer.start(after: 1, repeat: 1) { [self] in
                let now = DispatchTime.now().uptimeNanoseconds
                let cpu = cpuNanoseconds()
                let late = now - last > 1_000_000 ? now - last - 1_000_000 : 0
                if late > longest.load(ordering: .relaxed) {
                    longest.store(late, ordering: .relaxed)
                    longestOnCPU.store(cpu &- lastCPU, ordering: .relaxed)
                    longestInterval.store(now - last, ordering: .relaxed)
                }
                last = now
                lastCPU = cpu
            }
        }
    }

    var longestMilliseconds: Double { Double(longest.load(ordering: .relaxed)) / 1e6 }
    /// Of the longest stall's interval, what the loop's thread ran (ms) and the interval (ms).
    var longestOnCPUMilliseconds: (ran: Double, interval: Double) {
        (Double(longestOnCPU.load(ordering: .relaxed)) / 1e6, Double(longestInterval.load(ordering: .relaxed)) / 1e6)
    }

    /// Lets the previous run's tail (sessions ending, sockets closing) finish, then starts
    /// measuring afresh from the loop itself.
    func reset() {
        Thread.sleep(forTimeInterval: 0.5)
        _ = loop.submitAndWait { [self] in
            last = DispatchTime.now().uptimeNanoseconds
            lastCPU = cpuNanoseconds()
            longest.store(0, ordering: .relaxed)
            longestOnCPU.store(0, ordering: .relaxed)
            longestInterval.store(0, ordering: .relaxed)
        }
    }

    func stop() {
        loop.execute { [self] in timer?.close() }
    }
}
