import FuzzKit
import Glibc
import HostNet
import Synchronization

/// The whole server path: bytes written to a real loopback socket of an in-process `HTTPServer`
/// (HTTPConnection's state machine, keep-alive, pipelining, limits, the WebSocket upgrade and an
/// echoing WebSocket behind it). The server must answer or close every connection promptly (its
/// idle timeouts are short here), every response must be well-formed with a status below 500,
/// and it must keep serving: every 100 inputs a clean request must still get its answer.
enum HTTPServerTarget {
    static let target = FuzzTarget(
        name: "http-server",
        summary: "HTTPServer over loopback: any bytes get a well-formed answer or a close, never a 5xx or a hang",
        dictionary: HTTPParserTarget.target.dictionary.map { String(decoding: $0, as: UTF8.self) }
            + ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "Sec-WebSocket-Version: 13\r\n", "GET /ws HTTP/1.1\r\n"],
        byteTokens: [[0x81, 0x85, 1, 2, 3, 4], [0x88, 0x80, 0, 0, 0, 0], [0x89, 0x80, 0, 0, 0, 0], [0x82, 0xFE, 0xFF, 0xFF]],
        maxInputLength: 8_192
    ) { input throws(FuzzFailure) in
        let server = Server.shared
        let count = server.inputs.add(1, ordering: .relaxed).newValue
        let reply = try exchange(server.port, input)
        let statuses = try responses(reply)
        if count % 100 == 0 {
            let health = try responses(try exchange(server.port, Array("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)))
            try fuzzCheckEqual(health, [204], "a clean request after \(count) fuzzed connections")
        }
        return signature(statuses.map { "\($0)" })
    }

    /// One server for the process, started on first use.
    final class Server: Sendable {
        static let shared = Server()
        let loop: EventLoop
        let server: HTTPServer
        let port: Int
        let inputs = Atomic<Int>(0)

        private init() {
            loop = EventLoop(name: "fuzz-http-server")
            loop.start()
            var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, maxHeaderBytes: 2_048, maxBodyBytes: 4_096,
                                                         idleTimeoutMilliseconds: 50)
            configuration.webSocket = WebSocketConfiguration(maxMessageBytes: 4_096, idleTimeoutMilliseconds: 100,
                                                             closeTimeoutMilliseconds: 100, log: { _ in })
            let echo = WebSocketHandler(onText: { $0.send(text: $1) }, onBinary: { $0.send(binary: $1) })
            server = HTTPServer(loop: loop, configuration: configuration,
                                handler: { _, respond in respond(HTTPResponse(status: 204)) },
                                upgrade: { _ in .accept(echo) })
            do {
                port = try server.start()
            } catch {
                fatalError("fuzz http-server: cannot listen on loopback: \(error)")
            }
        }
    }

    /// Connects, writes `bytes`, reads until the server closes. The server must close within 2 s.
    static func exchange(_ port: Int, _ bytes: [UInt8]) throws(FuzzFailure) -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try fuzzCheck(fd >= 0, "socket() failed: errno \(errno)")
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try fuzzCheck(connected == 0, "cannot connect to the server: errno \(errno) (did it stop serving?)")
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }   // the server closed early (e.g. after a 400): fine, read what it said
            sent += n
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { reply += buffer[..<n]; continue }
            if n == 0 || errno == ECONNRESET { break }
            throw FuzzFailure("the server neither answered nor closed within 2 s (errno \(errno)); got \(shown(reply))")
        }
        return reply
    }

    /// The statuses of the responses in `reply` (stops at a 101: WebSocket frames follow).
    static func responses(_ reply: [UInt8]) throws(FuzzFailure) -> [Int] {
        var statuses: [Int] = []
        var rest = reply[...]
        while !rest.isEmpty {
            guard let end = find(Array("\r\n\r\n".utf8), in: rest) else {
                throw FuzzFailure("a response without the end of its head: \(shown(Array(rest)))")
            }
            let head = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
            rest = rest[(end + 4)...]
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let statusLine = lines.first.map(String.init) ?? ""
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]), (100...599).contains(status) else {
                throw FuzzFailure("malformed status line \(statusLine.debugDescription)")
            }
            try fuzzCheck(status < 500, "a \(status) for client input: \(head.debugDescription)")
            statuses.append(status)
            if status == 101 { break }
            var length = 0
            for line in lines.dropFirst() {
                let pair = line.split(separator: ":", maxSplits: 1)
                if pair.count == 2, pair[0].lowercased() == "content-length" {
                    guard let value = Int(pair[1].trimmingCharacters(in: " ")), value >= 0 else {
                        throw FuzzFailure("bad Content-Length in \(head.debugDescription)")
                    }
                    length = value
                }
            }
            guard rest.count >= length else { throw FuzzFailure("a body shorter than its Content-Length: \(head.debugDescription)") }
            rest = rest.dropFirst(length)
        }
        return statuses
    }

    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = haystack.startIndex
        while i + needle.count <= haystack.endIndex {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
