import Foundation
import HostAudio
import HostNet
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What the SIP tests drive: SIPp (Debian's `sip-tester`, a real SIP peer) running a scenario from
/// Tests/Fixtures/SIP, the caller's audio as a pcap of RTP packets SIPp plays, and a UDP listener
/// standing at the audio port SIPp's offer names, which records what the host sends back.
enum SIPp {
    static let fixtures = BuildProducts.repositoryRoot + "/Tests/Fixtures/SIP"

    struct Run {
        let status: Int32
        let output: String
        let messages: String
    }

    /// Runs `scenario` once against the host's SIP port (again with new local ports when SIPp
    /// could not bind the first ones); `keys` fill the scenario's [keywords].
    /// The scenario's `caller.pcap` is replaced by `pcap` (an absolute path), and each of
    /// `substitutions`' keys by its value.
    static func run(_ scenario: String, port: Int, service: String, keys: [String: String] = [:],
                    substitutions: [String: String] = [:], pcap: String? = nil,
                    pauseMilliseconds: Int = 1_000, transport: String = "u1", localAddress: String = "127.0.0.1", in directory: String,
                    timeoutSeconds: Double = 90) throws -> Run {
        var text = try String(contentsOfFile: fixtures + "/" + scenario, encoding: .utf8)
        if let pcap { text = text.replacingOccurrences(of: "caller.pcap", with: pcap) }
        // SIPp fills [keywords] in messages only, not in attributes such as <recv response=…>.
        for (name, value) in substitutions { text = text.replacingOccurrences(of: name, with: value) }
        let path = directory + "/" + scenario
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let messages = directory + "/" + scenario + ".messages.log", errorFile = directory + "/" + scenario + ".errors.log"
        // SIPp binds the ports it is given, and a port free a moment ago may be taken by then: the
        // kernel hands the same ephemeral ports to UDP bind(0) (how they are picked) and to any
        // process's TCP connections, which hold them in TIME_WAIT after closing. SIPp then exits
        // at once ("Unable to bind main socket, errno = 98", status 254; or "video RTP socket" for
        // -mp + 2, which SIPp binds too) having sent nothing, so the run is repeated with new
        // ports; a run that sent anything is never repeated.
        for attempt in 1...5 {
            for file in [messages, errorFile] { try? FileManager.default.removeItem(atPath: file) }
            var arguments = ["127.0.0.1:\(port)", "-sf", path, "-s", service, "-m", "1", "-l", "1", "-nostdin",
                             "-i", localAddress, "-mi", localAddress, "-mp", "\(try LoopbackUDPPort.free())",
                             "-p", "\(try LoopbackUDPPort.free())", "-t", transport, "-d", "\(pauseMilliseconds)",
                             "-timeout", "\(Int(timeoutSeconds - 10))s", "-timeout_error", "-trace_msg", "-message_file", messages,
                             "-trace_err", "-error_file", errorFile]
            for (key, value) in keys.sorted(by: { $0.key < $1.key }) { arguments += ["-key", key, value] }
            let result = try ProcessRunner.run("sipp", arguments, timeoutSeconds: timeoutSeconds)
            // Decoded leniently: a peer's bytes that are not UTF-8 must still show in the trace.
            let log = FileManager.default.contents(atPath: messages).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let errors = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            // "message sent": SIPp's trace line for each message (its trace may hold other notes).
            if result.status != 0, !log.contains("message sent"), (result.stderr + errors).contains("Unable to bind"), attempt < 5 {
                // Said, so that growing port pressure on the machine shows in the test log.
                print("SIPp could not bind its ports (attempt \(attempt) of 5): running it again with new ones")
                continue
            }
            // A failed run carries SIPp's own trace of what it sent and received: the directory is
            // removed at tearDown, and without the trace a refusal that never came looks like a timeout.
            let trace = result.status == 0 ? "" : "\n--- SIPp's messages ---\n" + log
            return Run(status: result.status, output: result.stdout.suffix(1_500) + result.stderr + errors + trace, messages: log)
        }
        fatalError("unreachable: the last attempt returns")
    }

    /// The caller's voice as a pcap SIPp replays (`RTPCapture`).
    static func writePCAP(_ frames: [[UInt8]], payloadType: UInt8, to path: String) throws {
        try Data(RTPCapture.pcap(frames, payloadType: payloadType)).write(to: URL(fileURLWithPath: path))
    }
}

enum LoopbackUDPPort {
    /// A UDP port on 127.0.0.1 nobody uses right now.
    static func free() throws -> Int {
        let listener = try RTPListener()
        defer { listener.stop() }
        return listener.port
    }
}

/// A UDP socket on 127.0.0.1 that keeps every datagram it receives (on its own thread, with a
/// 100 ms receive timeout so `stop()` is prompt): the RTP the host sends to the caller.
final class RTPListener: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let packets = LockedBox<[[UInt8]]>([])
    private let running = LockedBox(true)
    private var thread: Thread?

    struct Failure: Error { let description: String }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else { close(fd); throw Failure(description: "bind: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func start() {
        let fd = self.fd, packets = self.packets, running = self.running
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 2048)
            while running.value {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 { let datagram = Array(buffer[0..<count]); packets.mutate { $0.append(datagram) } }
            }
        }
        self.thread = thread
        thread.start()
    }

    var received: [[UInt8]] { packets.value }

    func stop() {
        running.value = false
        usleep(150_000)
        close(fd)
    }
}
