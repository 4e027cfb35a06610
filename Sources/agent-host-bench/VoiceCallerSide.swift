import Foundation
import HostNet

/// Where a voice step's simulated callers run: on one client loop in the benchmark process
/// (`InProcessCallers`, the latency run's 4 callers) or in K processes of their own, one loop
/// each (`CallerProcesses`, `--caller-processes K`). Before the callers had processes of their
/// own, the one client loop was the bottleneck of `voice media`: stalled 0.1-7 s, it made the
/// underruns it then counted against the host (docs/benchmarks.md, "Loops").
protocol VoiceCallerSide {
    /// Figures count from now.
    func beginMeasuring() throws
    /// CPU seconds the callers' process(es) have used so far (user + system).
    func cpuSeconds() -> Double
    /// Stops counting, hangs every caller up, and returns what was measured.
    func finish() throws -> CallerOutcome
    func stop()
}

struct CallerOutcome {
    let stats: CallerStats
    /// Callers still connected when the window closed.
    let live: Int
    /// The longest any client loop fired its 1 ms timer late in the window (ms).
    let clientStall: Double
}

/// What a caller process hands back at the end of a window (one JSON line on its stdout).
struct CallerReport: Codable {
    var live: Int
    /// Each turn: speechEnd, stopped, heard, answered, firstAudio (ns), first (0 / 1).
    var turns: [[UInt64]]
    var unanswered: Int
    var dropped: Int
    var connectFailures: Int
    var gapHistogram: [Int]
    var maxGapNanoseconds: UInt64
    var underruns: Int
    var stallMilliseconds: Double

    init(stats: CallerStats, live: Int, stall: Double) {
        self.live = live
        turns = stats.turns.map { [$0.speechEnd, $0.stopped, $0.heard, $0.answered, $0.firstAudio, $0.first ? 1 : 0] }
        unanswered = stats.unanswered
        dropped = stats.dropped
        connectFailures = stats.connectFailures
        gapHistogram = stats.gapHistogram
        maxGapNanoseconds = stats.maxGapNanoseconds
        underruns = stats.underruns
        stallMilliseconds = stall
    }

    /// Adds this process's figures into `stats` (several processes' reports make one step).
    func merge(into stats: CallerStats) {
        stats.turns += turns.filter { $0.count == 6 }.map {
            CallerStats.Turn(speechEnd: $0[0], stopped: $0[1], heard: $0[2], answered: $0[3], firstAudio: $0[4], first: $0[5] == 1)
        }
        stats.unanswered += unanswered
        stats.dropped += dropped
        stats.connectFailures += connectFailures
        for (bucket, count) in gapHistogram.enumerated() where bucket < stats.gapHistogram.count { stats.gapHistogram[bucket] += count }
        stats.maxGapNanoseconds = max(stats.maxGapNanoseconds, maxGapNanoseconds)
        stats.underruns += underruns
    }
}

/// Callers `ids` on one client loop of this process: one shared 10 ms timer sends each caller's
/// due frames (2,000 callers cost one wakeup per 10 ms, not 2,000).
final class CallerLoop: @unchecked Sendable {
    // @unchecked: `callers`, `stats` and `timer` are touched only on the loop's thread once started.
    let loop: EventLoop
    let stats: CallerStats
    let callers: [SimulatedCaller]
    let stalls: StallProbe
    private var timer: LoopTimer?

    init(name: String, ids: [Int], utterances: [[[UInt8]]], turnsPerCall: Int?) {
        loop = EventLoop(name: name)
        loop.start()
        let silence = [UInt8](repeating: 0, count: 640)
        let stats = CallerStats()
        self.stats = stats
        callers = ids.map { SimulatedCaller(id: $0, utterances: utterances, silence: silence, stats: stats) }
        for caller in callers { caller.turnsPerCall = turnsPerCall }
        stalls = StallProbe(loop: loop)
    }

    /// Starts the shared timer and dials caller `id` at `ramp * id / total` seconds from now.
    func dial(host: String = "127.0.0.1", port: Int, total: Int, ramp: Double) {
        loop.execute { [self] in
            timer = LoopTimer(loop: loop)
            timer?.start(after: 10, repeat: 10) { [self] in
                let now = DispatchTime.now().uptimeNanoseconds
                for caller in callers { caller.tick(now) }
            }
            for caller in callers {
                let arrival = UInt64(ramp * 1000 * Double(caller.id) / Double(max(total, 1)))
                LoopTimer.once(on: loop, after: arrival) { [self] in caller.connect("ws://\(host):\(port)/ws/voice/bench\(caller.id)", loop: loop) }
            }
        }
    }

    func beginMeasuring() {
        _ = loop.submitAndWait { [self] in stats.measureFrom = DispatchTime.now().uptimeNanoseconds }
        stalls.reset()
    }

    func finish() -> CallerOutcome {
        let stall = stalls.longestMilliseconds
        let live = loop.submitAndWait { [self] in callers.filter { !$0.closed }.count } ?? 0
        _ = loop.submitAndWait { [self] in
            stats.measureFrom = .max
            stats.ended = true
            for caller in callers { caller.hangUp() }
            timer?.close()
        }
        return CallerOutcome(stats: stats, live: live, clientStall: stall)
    }

    func stop() {
        stalls.stop()
        Thread.sleep(forTimeInterval: 0.3)   // the hang-ups' close frames go out
        loop.stop()
    }
}

/// The callers on one client loop in the benchmark process (the latency run: 4 callers).
final class InProcessCallers: VoiceCallerSide {
    private let callers: CallerLoop

    init(port: Int, callers count: Int, ramp: Double, utterances: [[[UInt8]]], turnsPerCall: Int?) {
        callers = CallerLoop(name: "voice-callers", ids: Array(0..<count), utterances: utterances, turnsPerCall: turnsPerCall)
        callers.dial(port: port, total: count, ramp: ramp)
    }

    func beginMeasuring() throws { callers.beginMeasuring() }
    func cpuSeconds() -> Double { ProcessCPU.seconds(pid: getpid()) }
    func finish() throws -> CallerOutcome { callers.finish() }
    func stop() { callers.stop() }
}

/// /proc/PID/stat's utime + stime, in seconds.
enum ProcessCPU {
    static func seconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return .nan }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the ")": state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
