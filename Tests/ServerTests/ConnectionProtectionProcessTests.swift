import Foundation
import Glibc
import Host
import TestSupport
import XCTest

/// `agent-host serve` as operators run it, attacked over real sockets: trickling clients, one
/// address opening too many connections, a bad HTTP version, and a process out of descriptors.
final class ConnectionProtectionProcessTests: XCTestCase {
    var directory: TemporaryDirectory!
    var hosts: [Process] = []

    override func setUp() {
        directory = TemporaryDirectory(prefix: "connection-protection")
    }

    override func tearDown() {
        for host in hosts where host.isRunning { kill(host.processIdentifier, SIGKILL) }
    }

    /// A running `agent-host serve`: its port and the file its stderr (the log) goes to.
    struct Host {
        let port: Int
        let process: Process
        let logPath: String
        var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        var base: String { "http://127.0.0.1:\(port)" }
    }

    func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Starts `agent-host serve` with `limits` under `server.limits`, through `sh -c` so `ulimit`
    /// can set its open-file limits first.
    func startHost(_ name: String, limits: [String: Int], ulimit: String? = nil) throws -> Host {
        let port = try LoopbackPort.free()
        var yaml = """
        server:
          host: 127.0.0.1
          port: \(port)
          limits:

        """
        for (key, value) in limits.sorted(by: { $0.key < $1.key }) { yaml += "    \(key): \(value)\n" }
        yaml += """
        plugins:
          directories: ["\(BuildProducts.directory)"]
        tenants:
          - id: demo
            entry_agent: com.agenthost.support.triage
            plugins: [com.agenthost.support.triage, com.agenthost.support.faq]

        """
        let config = directory.file("\(name).yaml")
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let logPath = directory.file("\(name).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let command = "exec \"$0\" serve --config \"$1\" 2>\"$2\""
        process.arguments = ["-c", (ulimit.map { "ulimit \($0) && " } ?? "") + command, BuildProducts.path("agent-host"), config, logPath]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        hosts.append(process)
        let host = Host(port: port, process: process, logPath: logPath)
        for _ in 0..<200 {
            if let client = try? Client(port: port), client.get("/ready")?.status == 200 { return host }
            usleep(50_000)
        }
        XCTFail("\(name) did not become ready: \(host.log)")
        return host
    }

    /// Slowloris: clients sending one header byte every 200 ms get 408 (JSON) at the header
    /// deadline and are closed, while a normal client is served. Before the deadline existed each
    /// byte pushed the 30 s idle timeout back and they stayed open for as long as they trickled.
    /// The host also raised its soft open-file limit (started at 256) to the hard limit.
    func testTricklingClientsGet408AtTheHeaderDeadlineAndAreClosedWhileOthersAreServed() throws {
        let host = try startHost("slowloris", limits: ["header_timeout_ms": 1_000], ulimit: "-Sn 256")
        let head = Array("GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n\r\n".utf8)
        let clients = try (0..<20).map { _ in try Client(port: host.port) }
        var received = [[UInt8]](repeating: [], count: clients.count)
        var closed = [Bool](repeating: false, count: clients.count)
        var sent = 0
        let giveUp = Date().addingTimeInterval(5)   // 5 deadlines; without one they would never close
        while closed.contains(false), Date() < giveUp, sent < head.count {
            for (index, client) in clients.enumerated() where !closed[index] {
                switch client.readAvailable() {
                case .bytes(let bytes): received[index] += bytes
                case .closed: closed[index] = true
                case .nothing: break
                }
                if !closed[index] { client.send([head[sent]]) }
            }
            sent += 1
            usleep(200_000)
        }
        XCTAssertLessThan(sent, head.count, "the test trickled slower than the deadline")
        for index in clients.indices {
            let text = String(decoding: received[index], as: UTF8.self)
            XCTAssertTrue(closed[index], "client \(index) still open")
            XCTAssertTrue(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "client \(index): \(text)")
            XCTAssertTrue(text.contains("Content-Type: application/json"), text)
            XCTAssertTrue(text.contains(#"{"error":"the request line and headers did not arrive within 1 s"#), text)
        }
        XCTAssertEqual(try Client(port: host.port).get("/health")?.status, 200)

        var hard = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &hard)
        XCTAssertTrue(host.log.contains("open-file limit raised from 256 to \(hard.rlim_max)"), host.log)
        let limits = try String(contentsOfFile: "/proc/\(host.process.processIdentifier)/limits", encoding: .utf8)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map(String.init) ?? ""
        XCTAssertEqual(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2).map(String.init),
                       ["\(hard.rlim_max)", "\(hard.rlim_max)"], line)
    }

    /// One address past max_connections_per_client gets 503 and is closed; the refusals are counted
    /// in /metrics and logged once, and another client is served meanwhile.
    func testThePerAddressCapRefusesExtraConnectionsAndCountsThemWhileOthersAreServed() throws {
        let host = try startHost("per-address", limits: ["max_connections_per_client": 3])
        var held: [Client] = []
        for _ in 0..<3 {
            let client = try Client(port: host.port, from: "127.0.0.2")
            XCTAssertEqual(client.get("/health")?.status, 200)
            held.append(client)   // kept alive: each holds its place
        }
        for _ in 0..<2 {
            let refused = try Client(port: host.port, from: "127.0.0.2")
            let response = refused.readResponse()
            XCTAssertEqual(response?.status, 503)
            XCTAssertTrue(response?.body.hasPrefix(#"{"error":"your address has 3 connections open"#) == true, response?.body ?? "-")
            XCTAssertTrue(refused.waitForClose())
        }
        let normal = try Client(port: host.port)
        XCTAssertEqual(normal.get("/health")?.status, 200, "another address is served")
        var metrics = normal.get("/metrics")?.body ?? ""
        XCTAssertTrue(metrics.contains(#"agent_host_connections_refused_total{reason="per_client"} 2"#), metrics)
        XCTAssertTrue(metrics.contains(#"agent_host_connections_refused_total{reason="global"} 0"#), metrics)
        // Three held and this one (once the host has seen the readiness probes' connections close).
        XCTAssertTrue(eventually {
            metrics = normal.get("/metrics")?.body ?? ""
            return metrics.contains("agent_host_open_connections 4\n")
        }, metrics)
        XCTAssertEqual(host.log.components(separatedBy: "max_connections_per_client cap").count - 1, 1, host.log)
        XCTAssertTrue(host.log.contains("refused a connection from 127.0.0.2"), host.log)
    }

    func testAnUnsupportedHTTPVersionGets505WithAJSONError() throws {
        let host = try startHost("version", limits: [:])
        let client = try Client(port: host.port)
        client.send(Array("GET /health HTTP/9.9\r\nHost: x\r\n\r\n".utf8))
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 505)
        XCTAssertEqual(response?.headers["content-type"], "application/json")
        XCTAssertEqual(response?.body, #"{"error":"HTTP/9.9 is not supported: send the request as HTTP/1.1 (or HTTP/1.0)"}"#)
    }

    /// With its open-file limit nearly used up (`ulimit -n` on the child), the host pauses accepting
    /// when accept fails with EMFILE, logs it once and counts it, and serves again once the
    /// connections holding descriptors close. Before, libuv accepted and reset each client unlogged.
    func testOutOfDescriptorsTheHostPausesAcceptingLogsItAndServesAgainOnceConnectionsClose() throws {
        let host = try startHost("emfile", limits: [:], ulimit: "-n 40")
        var held: [Client] = []
        for _ in 0..<40 {
            guard let client = try? Client(port: host.port) else { break }
            client.send(Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            held.append(client)
        }
        // The first ones are served; past the limit the rest wait in the kernel's backlog, unanswered.
        XCTAssertEqual(held.first?.readResponse()?.status, 200)
        XCTAssertTrue(eventually { host.log.contains("out of file descriptors (the limit is 40)") }, host.log)
        usleep(200_000)
        let unanswered = held.dropFirst().filter { if case .nothing = $0.readAvailable() { true } else { false } }.count
        XCTAssertGreaterThan(unanswered, 0, "some clients wait while accepting is paused")
        XCTAssertLessThan(unanswered, held.count - 1, "the others were served")
        XCTAssertEqual(host.log.components(separatedBy: "out of file descriptors (the limit is 40): accept failed").count - 1, 1,
                       "logged once, not per attempt: \(host.log)")

        held = []   // closing them frees the host's descriptors
        var served: Int?
        for _ in 0..<100 where served != 200 {
            served = (try? Client(port: host.port))?.get("/metrics")?.status
            if served != 200 { usleep(20_000) }
        }
        XCTAssertEqual(served, 200, "served again")
        let metrics = try Client(port: host.port).get("/metrics")?.body ?? ""
        let emfile = metrics.split(separator: "\n").first { $0.hasPrefix(#"agent_host_connections_refused_total{reason="emfile"}"#) }
        XCTAssertNotNil(emfile.flatMap { Double($0.split(separator: " ").last ?? "") }.flatMap { $0 >= 1 ? $0 : nil }, "\(String(describing: emfile))")
        XCTAssertTrue(host.log.contains("accepting connections again"), host.log)
        XCTAssertTrue(host.log.contains("leaves no room for max_connections (10000)"), "the start-up warning: \(host.log)")
    }
}

/// A blocking loopback client speaking just enough HTTP/1.1, for bytes no real client sends.
final class Client {  // also LoopsConnectionCapTests
    enum Read { case bytes([UInt8]), closed, nothing }

    private let fd: Int32
    private var buffered: [UInt8] = []

    init(port: Int, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        struct Failure: Error { let code: Int32 }
        func address(_ ip: String, _ port: Int) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr(ip)
            return address
        }
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        if let source {
            var local = address(source, 0)
            guard withUnsafePointer(to: &local, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }) == 0 else {
                let code = errno
                close(fd)
                throw Failure(code: code)
            }
        }
        var remote = address("127.0.0.1", port)
        guard withUnsafePointer(to: &remote, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, size) } }) == 0 else {
            let code = errno
            close(fd)
            throw Failure(code: code)
        }
        setTimeout(milliseconds: 3_000)
    }

    deinit { close(fd) }

    private func setTimeout(milliseconds: Int) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func get(_ path: String) -> (status: Int, headers: [String: String], body: String)? {
        send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        return readResponse()
    }

    /// Whatever has arrived, without waiting.
    func readAvailable() -> Read {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
        if count > 0 { return .bytes(Array(chunk[..<count])) }
        if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { return .closed }
        return .nothing
    }

    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// One response (Content-Length framed); nil on timeout or close first.
    func readResponse(timeoutMilliseconds: Int = 3_000) -> (status: Int, headers: [String: String], body: String)? {
        setTimeout(milliseconds: timeoutMilliseconds)
        defer { setTimeout(milliseconds: 3_000) }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffered[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                let status = head.first.flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                if buffered.count >= end + 4 + length {
                    let body = String(decoding: buffered[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                    buffered.removeFirst(end + 4 + length)
                    return (status, headers, body)
                }
            }
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffered += chunk[..<count]
        }
    }

    private func headEnd() -> Int? {
        guard buffered.count >= 4 else { return nil }
        for i in 0...(buffered.count - 4) where buffered[i] == 13 && buffered[i + 1] == 10 && buffered[i + 2] == 13 && buffered[i + 3] == 10 {
            return i
        }
        return nil
    }
}
