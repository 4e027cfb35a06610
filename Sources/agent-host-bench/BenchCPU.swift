import Foundation
import HostNet

/// `server`'s host and clients share one process: the CPU of the client loop's thread
/// (CLOCK_THREAD_CPUTIME_ID, read on that thread) against the rest of the process (the host's loops, its pool, Redis
/// client), so a saturation figure says whether the host or the clients ran out of core.
final class ClientLoopCPU {
    private let clientLoop: EventLoop
    private var process = 0.0, client = 0.0, wall: UInt64 = 0

    init(clientLoop: EventLoop) { self.clientLoop = clientLoop }

    func start() {
        process = ProcessCPU.seconds(pid: getpid())
        client = clientSeconds()
        wall = DispatchTime.now().uptimeNanoseconds
    }

    /// (host, client) CPU since `start`, % of one core each.
    func percentages() -> (host: Double, client: Double) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9
        let client = clientSeconds() - client
        let all = ProcessCPU.seconds(pid: getpid()) - process
        return ((all - client) / seconds * 100, client / seconds * 100)
    }

    /// (host, client) CPU microseconds per turn since `start`: the cost of a turn, which does not
    /// shrink when other work on the machine takes cores away (turns/s does).
    func microsecondsPerTurn(_ turns: Int) -> (host: Double, client: Double) {
        let client = clientSeconds() - client
        let all = ProcessCPU.seconds(pid: getpid()) - process
        return ((all - client) / Double(max(turns, 1)) * 1e6, client / Double(max(turns, 1)) * 1e6)
    }

    /// The two figures as the `server` table's last columns.
    func columns() -> String {
        let (host, client) = percentages()
        return String(format: " %12.0f %18.0f", host, client)
    }

    /// The client loop thread's CPU seconds (asked on the loop: a thread clock is its own).
    private func clientSeconds() -> Double {
        clientLoop.submitAndWait { Double(cpuNanoseconds()) / 1e9 } ?? .nan
    }
}
