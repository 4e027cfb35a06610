import Foundation
import HostAudio
import HostNet
import HostSpeech
import HostSupport

/// `agent-host-bench sip`: N concurrent SIP calls placed by SIPp (a real SIP peer, Debian's
/// `sip-tester`) at a host (`voice-host` child process) whose SIP stack listens on loopback. Each
/// call sends the caller's request as RTP (flite's voice, µ-law), holds for `seconds`, and hangs
/// up. Every call's agent audio comes back to one UDP port (each call its own SSRC), where the
/// gaps between consecutive packets of a talkspurt are measured: an underrun is a gap over 40 ms
/// (two frames), what a caller hears as a click or a hole. docs/benchmarks.md reads the figures.
struct SIPBenchmark {
    var calls = 50
    var seconds = 20
    /// `media` (default): recognition replaced by a fixed transcript, synthesis cached; `full`:
    /// pocketsphinx and flite per call.
    var mode: VoiceBenchHost.Mode = .media

    struct Failure: Error, CustomStringConvertible { let description: String }

    func run() throws {
        let root = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let scenario = root + "/Tests/Fixtures/SIP/call.xml"
        guard FileManager.default.fileExists(atPath: scenario) else { throw Failure(description: "no \(scenario): run from a checkout's .build") }
        let directory = NSTemporaryDirectory() + "agent-host-bench-sip-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pcap = directory + "/caller.pcap"
        try Data(RTPCapture.pcap(try Self.callerFrames("I need a refund."), payloadType: 0)).write(to: URL(fileURLWithPath: pcap))
        // Each call its own caller (a host limits sessions per caller): +15550001, +15550002, …
        try (try String(contentsOfFile: scenario, encoding: .utf8)).replacingOccurrences(of: "caller.pcap", with: pcap)
            .replacingOccurrences(of: "+15557654321", with: "+1555000[call_number]")
            .write(toFile: directory + "/call.xml", atomically: true, encoding: .utf8)

        let listener = try PacketClock()
        let sipPort = try PacketClock.freePort()
        let host = try BenchHostProcess(mode: mode, extraArguments: ["--sip-port", "\(sipPort)"])
        defer { host.stop() }
        listener.start()
        _ = host.stall()
        let cpuBefore = host.cpuSeconds(), started = Date()
        let arguments = ["127.0.0.1:\(sipPort)", "-sf", directory + "/call.xml", "-s", "+15550001",
                         "-m", "\(calls)", "-l", "\(calls)", "-r", "\(calls)", "-rp", "1000", "-d", "\(seconds * 1000)",
                         "-i", "127.0.0.1", "-mi", "127.0.0.1", "-mp", "\(try PacketClock.freePort())", "-p", "\(try PacketClock.freePort())",
                         "-key", "rtp_listen_port", "\(listener.port)", "-key", "codec", "0",
                         "-nostdin", "-timeout", "\(seconds + 60)s", "-timeout_error", "-max_socket", "\(calls * 4 + 64)"]
        let peer = try ChildCommand.run("sipp", arguments, timeoutSeconds: Double(seconds + 90))
        let wall = Date().timeIntervalSince(started)
        let cpu = host.cpuSeconds() - cpuBefore
        let stall = host.stall()
        listener.stop()

        let streams = listener.streams()
        var gaps: [Double] = []
        var underruns = 0
        for arrivals in streams.values {
            for (previous, next) in zip(arrivals, arrivals.dropFirst()) where !next.marker {
                let gap = Double(next.nanoseconds - previous.nanoseconds) / 1e6
                gaps.append(gap)
                if gap > 40 { underruns += 1 }
            }
        }
        gaps.sort()
        func quantile(_ q: Double) -> Double { gaps.isEmpty ? 0 : gaps[min(gaps.count - 1, Int(q * Double(gaps.count)))] }
        let packets = streams.values.map(\.count).sorted()
        let completed = peer.stdout.components(separatedBy: "\n").first { $0.contains("Successful call") }
            .flatMap { $0.split(separator: "|").dropFirst(2).first.map { $0.trimmingCharacters(in: .whitespaces) } } ?? "?"
        print(String(format: "sip %@: %d calls x %d s, SIPp successful calls %@ (exit %d), agent streams %d, packets/call p50 %d min %d",
                     mode.rawValue, calls, seconds, completed, peer.status, streams.count,
                     packets.isEmpty ? 0 : packets[packets.count / 2], packets.first ?? 0))
        print(String(format: "  inter-packet gap p50 %.1f ms, p99 %.1f ms, max %.1f ms; underruns (gap > 40 ms inside a talkspurt) %d of %d gaps; host CPU %.0f%% of a core; longest loop stall %.1f ms",
                     quantile(0.5), quantile(0.99), gaps.last ?? 0, underruns, gaps.count, cpu / wall * 100, stall))
        if peer.status != 0 { FileHandle.standardError.write(Data((String(peer.stdout.suffix(2_000)) + peer.stderr).utf8)) }
    }

    /// The caller's request after 4.5 s (the greeting) as 20 ms µ-law frames at 8 kHz.
    static func callerFrames(_ text: String) throws -> [[UInt8]] {
        let box = SpeechBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.samples = try? await FliteSynthesizer().synthesizeAll(text: text).samples
            done.signal()
        }
        done.wait()
        guard let speech = box.samples else { throw Failure(description: "flite could not speak the caller's request") }
        let resampler = try Resampler(inputRate: 16_000, outputRate: 8_000)
        let narrow = [Int16](repeating: 0, count: 36_000) + resampler.process(speech) + resampler.flush() + [Int16](repeating: 0, count: 12_000)
        let bytes = MuLaw.encode(narrow)
        return stride(from: 0, to: bytes.count - 159, by: 160).map { Array(bytes[$0..<$0 + 160]) }
    }
}

private final class SpeechBox: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after.
    var samples: [Int16]?
}

/// A UDP socket on 127.0.0.1 timing every RTP packet it receives, per SSRC (its own thread).
private final class PacketClock: @unchecked Sendable {
    struct Arrival { let nanoseconds: UInt64; let marker: Bool }
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var arrivals: [UInt32: [Arrival]] = [:]
    private var running = true
    private var thread: Thread?

    init() throws {
        (fd, port) = try Self.bound()
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var size: Int32 = 8 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    static func freePort() throws -> Int {
        let (fd, port) = try bound()
        close(fd)
        return port
    }

    private static func bound() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SIPBenchmark.Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard status == 0 else { close(fd); throw SIPBenchmark.Failure(description: "bind: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    func start() {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 2048)
            while lock.withLock({ running }) {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0, let packet = RTPPacket(Array(buffer[0..<count])) else { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                lock.withLock { arrivals[packet.ssrc, default: []].append(Arrival(nanoseconds: now, marker: packet.marker)) }
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.withLock { running = false }
        usleep(200_000)
        close(fd)
    }

    func streams() -> [UInt32: [Arrival]] { lock.withLock { arrivals } }
}
