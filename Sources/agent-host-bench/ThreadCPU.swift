import Foundation

/// Per-thread CPU of this process (/proc/self/task/TID/stat: utime + stime), plus optionally another
/// process's (redis-server): the `server` rows' "threads" line says how much of a core each of the
/// host's loops (`loop-0`, `loop-1`, …), the client loop (`bench-clients`) and the rest used
/// (docs/benchmarks.md, "Loops"). The loops are told apart by TID (`EventLoop.threadID`), not by
/// name: pool threads a loop's thread started (libdispatch, libuv) inherit its name; they and every
/// other thread are added up as "other" (named threads such as `speech` keep their name).
final class ThreadCPU {
    private var before: [Int32: (name: String, ticks: Int)] = [:]
    private var otherBefore = 0
    private var wall: UInt64 = 0
    private let other: (name: String, pid: Int32)?
    private let known: [Int32: String]

    /// `threads`: label by TID (the loops, the client loop).
    init(threads: [Int32: String], other: (name: String, pid: Int32)? = nil) {
        known = threads
        self.other = other
    }

    func start() {
        before = Self.threads()
        otherBefore = other.flatMap { Self.ticks(statPath: "/proc/\($0.pid)/stat")?.ticks } ?? 0
        wall = DispatchTime.now().uptimeNanoseconds
    }

    /// % of one core per thread name since `start` (threads of one name added up; threads that
    /// ended in between are not counted), the other process last.
    func percentages() -> [(name: String, percent: Double)] {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        var byName: [String: Int] = [:]
        for (tid, now) in Self.threads() {
            let label = known[tid] ?? (now.name.hasPrefix("loop-") || now.name.hasPrefix("agent-host") || now.name == "bench-clients" ? "other" : now.name)
            byName[label, default: 0] += now.ticks - (before[tid]?.ticks ?? 0)
        }
        var rows = byName.map { (name: $0.key, percent: Double($0.value) / hertz / seconds * 100) }
            .sorted { ($0.percent, $1.name) > ($1.percent, $0.name) }
        if let other, let now = Self.ticks(statPath: "/proc/\(other.pid)/stat")?.ticks {
            rows.append((other.name, Double(now - otherBefore) / hertz / seconds * 100))
        }
        return rows
    }

    /// "loop-0 61, loop-1 48, bench-clients 30, other 20, redis-server 22" (under 1 % left out).
    func line() -> String {
        percentages().filter { $0.percent >= 1 }.map { "\($0.name) \(Int($0.percent.rounded()))" }.joined(separator: ", ")
    }

    private static func threads() -> [Int32: (name: String, ticks: Int)] {
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [:] }
        var result: [Int32: (name: String, ticks: Int)] = [:]
        for tid in tids.compactMap({ Int32($0) }) {
            if let reading = ticks(statPath: "/proc/self/task/\(tid)/stat") { result[tid] = reading }
        }
        return result
    }

    /// comm and utime + stime (clock ticks) from a stat file; comm is between the first "(" and the last ")".
    private static func ticks(statPath: String) -> (name: String, ticks: Int)? {
        guard let stat = try? String(contentsOfFile: statPath, encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
        let name = String(stat[stat.index(after: open)..<close])
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the ")": state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return (name, user + system)
    }
}

/// A CPU-time clock read in nanoseconds: by default the calling thread's own
/// (CLOCK_THREAD_CPUTIME_ID), or another thread's from `pthread_getcpuclockid`.
func cpuNanoseconds(_ clock: clockid_t = CLOCK_THREAD_CPUTIME_ID) -> UInt64 {
    var time = timespec()
    clock_gettime(clock, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
