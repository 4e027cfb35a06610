import Foundation

/// `agent-host-bench voice-host MODE` as a child process: its port, its loop stall (asked over
/// stdin), and its CPU time and resident memory read from /proc.
final class BenchHostProcess {
    let process = Process()
    private(set) var port = 0
    private let input = Pipe()
    private let output = Pipe()
    private var buffered: [UInt8] = []

    init(mode: VoiceBenchHost.Mode, extraArguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        process.arguments = ["voice-host", mode.rawValue] + extraArguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        guard let line = line(startingWith: "port "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            throw ServerBenchmark.Failure(description: "the voice host did not start (run `agent-host-bench voice-host \(mode.rawValue)` to see why)")
        }
        self.port = port
    }

    var pid: Int32 { process.processIdentifier }

    /// The longest loop stall since the last call (ms); resets it.
    func stall() -> Double {
        input.fileHandleForWriting.write(Data("stall\n".utf8))
        guard let line = line(startingWith: "stall ") else { return .nan }
        return Double(line.dropFirst(6)) ?? .nan
    }

    /// User + system CPU seconds so far (/proc/PID/stat fields 14 and 15, in clock ticks).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return .nan }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the ")": state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory now (VmRSS), in MiB.
    func residentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ")[1]) else { return .nan }
        return kib / 1024
    }

    func stop() {
        try? input.fileHandleForWriting.close()   // EOF on stdin: the host stops
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
    }

    /// The next line of the host's stdout with this prefix (other lines are skipped); nil at EOF.
    private func line(startingWith prefix: String) -> String? {
        while let line = readLine() {
            if line.hasPrefix(prefix) { return line }
        }
        return nil
    }

    private func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeFirst(newline + 1)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffered += chunk
        }
    }
}
