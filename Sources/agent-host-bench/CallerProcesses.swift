import Foundation

/// `--caller-processes K`: the step's callers in K child processes (`agent-host-bench
/// voice-callers`), one client loop each, caller ids dealt round-robin (so arrivals interleave).
/// Each child renders the caller sentences itself, waits for `go`, dials, and answers `measure`
/// and `report` on stdin (the report is one JSON `CallerReport` line). The kernel spreads the
/// children over the cores; a stalled child delays 1/K of the callers, not all of them.
final class CallerProcesses: VoiceCallerSide {
    /// Where the callers run. By default this executable on this machine, dialing loopback; with
    /// `command` (`--callers-via "ssh bench-2 /opt/agent-host-bench"`) each child is that command
    /// plus `voice-callers …` — on another machine, talking over ssh's stdin and stdout as a local
    /// child does over pipes — and dials `hostAddress`, where the host then listens.
    struct Placement {
        var command: [String] = []
        var hostAddress: String?
        var remote: Bool { !command.isEmpty }
    }

    private let children: [CallerChild]
    private let placement: Placement

    init(count: Int, port: Int, callers: Int, ramp: Double, turnsPerCall: Int?, placement: Placement = Placement()) throws {
        self.placement = placement
        var started: [CallerChild] = []
        do {
            for index in 0..<count {
                var arguments = ["voice-callers", "--host", placement.hostAddress ?? "127.0.0.1", "--port", String(port),
                                 "--index", String(index), "--of", String(count), "--total", String(callers), "--ramp", String(ramp)]
                if let turnsPerCall { arguments += ["--turns-per-call", String(turnsPerCall)] }
                started.append(try CallerChild(command: placement.command, arguments: arguments))
            }
            // Everyone has rendered its sentences before anyone dials: the ramp starts together.
            for child in started { try child.expect("ready", seconds: 30) }
            for child in started { child.send("go") }
        } catch {
            for child in started { child.stop() }
            throw error
        }
        children = started
    }

    func beginMeasuring() throws {
        for child in children { child.send("measure") }
        for child in children { try child.expect("measuring", seconds: 10) }
    }

    /// NaN for callers on another machine: read their CPU there (the pid here is ssh's).
    func cpuSeconds() -> Double {
        placement.remote ? .nan : children.map { ProcessCPU.seconds(pid: $0.pid) }.reduce(0, +)
    }

    func finish() throws -> CallerOutcome {
        for child in children { child.send("report") }
        let stats = CallerStats()
        var live = 0
        var stall = 0.0
        for child in children {
            let line = try child.expect("report ", seconds: 20)
            let report = try JSONDecoder().decode(CallerReport.self, from: Data(line.dropFirst(7).utf8))
            report.merge(into: stats)
            live += report.live
            stall = max(stall, report.stallMilliseconds)
        }
        return CallerOutcome(stats: stats, live: live, clientStall: stall)
    }

    func stop() { for child in children { child.stop() } }
}

/// One `agent-host-bench voice-callers` child: commands on its stdin, lines from its stdout read
/// with a deadline (a wedged child fails the step instead of hanging the benchmark).
final class CallerChild {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered: [UInt8] = []

    /// `command` empty: this executable. Otherwise the command's first word is looked up on PATH.
    init(command: [String] = [], arguments: [String]) throws {
        if let program = command.first {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + command.dropFirst() + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            process.arguments = arguments
        }
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func send(_ command: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data((command + "\n").utf8))
    }

    /// The next line starting with `prefix` (others are skipped) within `seconds`.
    @discardableResult
    func expect(_ prefix: String, seconds: Double) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeFirst(newline + 1)
                if line.hasPrefix(prefix) { return line }
                continue
            }
            let left = deadline.timeIntervalSinceNow
            var descriptor = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard left > 0, poll(&descriptor, 1, Int32(left * 1000)) > 0 else {
                throw ServerBenchmark.Failure(description: "caller process \(pid) did not say \"\(prefix)\" within \(Int(seconds)) s")
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = read(descriptor.fd, &chunk, chunk.count)
            guard count > 0 else {
                throw ServerBenchmark.Failure(description: "caller process \(pid) exited before saying \"\(prefix)\" (run `agent-host-bench voice-callers` to see why)")
            }
            buffered += chunk[..<count]
        }
    }

    func stop() {
        try? input.fileHandleForWriting.close()   // EOF on stdin: the child hangs up and exits
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
    }
}

/// The child side: `agent-host-bench voice-callers [--host A] --port P --index I --of K --total N
/// --ramp S [--turns-per-call T]` runs callers I, I+K, I+2K, … < N against A:P (127.0.0.1 by default).
struct VoiceCallersChild {
    let port: Int, index: Int, of: Int, total: Int, ramp: Double
    var host = "127.0.0.1"
    var turnsPerCall: Int?

    init?(arguments: [String]) {
        func value(_ option: String) -> String? {
            arguments.firstIndex(of: option).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        guard let port = value("--port").flatMap(Int.init), let index = value("--index").flatMap(Int.init),
              let of = value("--of").flatMap(Int.init), let total = value("--total").flatMap(Int.init),
              let ramp = value("--ramp").flatMap(Double.init), of > 0, index >= 0, index < of else { return nil }
        self.port = port
        self.index = index
        self.of = of
        self.total = total
        self.ramp = ramp
        turnsPerCall = value("--turns-per-call").flatMap(Int.init)
        host = value("--host") ?? host
    }

    func run() throws {
        let utterances = try VoiceBenchmark.utterances()
        let callers = CallerLoop(name: "voice-callers-\(index)", ids: Array(stride(from: index, to: total, by: of)),
                                 utterances: utterances, turnsPerCall: turnsPerCall)
        defer { callers.stop() }
        say("ready")
        while let line = readLine() {
            switch line {
            case "go":
                callers.dial(host: host, port: port, total: total, ramp: ramp)
            case "measure":
                callers.beginMeasuring()
                say("measuring")
            case "report":
                let outcome = callers.finish()
                let report = CallerReport(stats: outcome.stats, live: outcome.live, stall: outcome.clientStall)
                say("report " + String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
            default:
                break
            }
        }
    }

    private func say(_ line: String) {
        print(line)
        fflush(nil)
    }
}
