import Foundation
import Glibc
import Synchronization

/// A deliberately small HTTP/1.1 server for the stand-ins: a thread per connection, blocking
/// sockets. Not HostNet's `HTTPServer`, because a stand-in must misbehave in ways a real server
/// never would and that server cannot express: stream an answer piece by piece with pauses, stop
/// answering (hang), cut the connection mid-stream. Loopback only; tests and benchmarks only.
public final class StandInHTTPServer: @unchecked Sendable {
    // @unchecked: `listener`, `connections` and `stopped` are guarded by `lock`.
    public struct Request: Sendable {
        public let method: String
        public let path: String
        /// Names lowercased.
        public let headers: [String: String]
        public let body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// What the handler writes back on a connection.
    public final class Responder: @unchecked Sendable {
        // @unchecked: used only by its connection's thread.
        fileprivate let socket: Int32
        fileprivate var closed = false
        fileprivate let stopping: @Sendable () -> Bool

        fileprivate init(socket: Int32, stopping: @escaping @Sendable () -> Bool) {
            self.socket = socket
            self.stopping = stopping
        }

        /// A whole response with Content-Length.
        public func respond(status: Int, headers: [(String, String)] = [], body: [UInt8]) {
            var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(body.count)\r\n\r\n"
            write(Array(head.utf8) + body)
        }

        /// Starts a chunked response (send pieces with `chunk`, end with `endChunks`).
        public func beginChunked(status: Int, headers: [(String, String)]) {
            var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Transfer-Encoding: chunked\r\n\r\n"
            write(Array(head.utf8))
        }

        public func chunk(_ bytes: [UInt8]) {
            guard !bytes.isEmpty else { return }
            write(Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + Array("\r\n".utf8))
        }

        public func endChunks() { write(Array("0\r\n\r\n".utf8)) }

        /// Closes the connection now (mid-response: the client sees a dropped connection).
        public func drop() {
            guard !closed else { return }
            closed = true
            Glibc.shutdown(socket, Int32(SHUT_RDWR))
        }

        /// Never answers: waits until the server stops (the client's timeout must fire).
        public func hang() {
            while !stopping() && !closed { usleep(10_000) }
            drop()
        }

        private func write(_ bytes: [UInt8]) {
            guard !closed else { return }
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { closed = true; return }
                offset += sent
            }
        }

        static func reason(_ status: Int) -> String {
            [200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
             500: "Internal Server Error", 503: "Service Unavailable"][status] ?? "Status"
        }
    }

    public typealias Handler = @Sendable (Request, Responder) -> Void

    private let handler: Handler
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var connections: Set<Int32> = []
    private let stopped = Atomic<Bool>(false)
    public private(set) var port = 0

    public init(handler: @escaping Handler) {
        self.handler = handler
    }

    /// Listens on 127.0.0.1 on a free port; returns it.
    @discardableResult
    public func start() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        lock.withLock { listener = fd }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "stand-in-accept"
        thread.start()
        return port
    }

    /// Stops listening and cuts every connection (hanging handlers return).
    public func stop() {
        stopped.store(true, ordering: .releasing)
        lock.withLock {
            if listener >= 0 { Glibc.shutdown(listener, Int32(SHUT_RDWR)) }
            for connection in connections { Glibc.shutdown(connection, Int32(SHUT_RDWR)) }
        }
    }

    deinit { stop() }

    private func acceptLoop(_ fd: Int32) {
        while !stopped.load(ordering: .acquiring) {
            let client = accept(fd, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                break
            }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            _ = lock.withLock { connections.insert(client) }
            let thread = Thread { [self] in serve(client) }
            thread.name = "stand-in-connection"
            thread.start()
        }
        close(fd)
    }

    private func serve(_ socket: Int32) {
        defer {
            lock.withLock { _ = connections.remove(socket) }
            close(socket)
        }
        var buffer: [UInt8] = []
        let responder = Responder(socket: socket) { [weak self] in self?.stopped.load(ordering: .acquiring) ?? true }
        while !responder.closed, let request = Self.read(socket, &buffer) {
            handler(request, responder)
            if request.headers["connection"]?.lowercased() == "close" { break }
        }
    }

    /// Reads one request (head + Content-Length body); nil when the peer closed.
    private static func read(_ socket: Int32, _ buffer: inout [UInt8]) -> Request? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            if headEnd == nil, let range = buffer.firstRange(of: separator) { headEnd = range.upperBound }
            if let end = headEnd {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                let requestLine = lines.removeFirst().split(separator: " ")
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                if buffer.count - end >= length {
                    let body = Array(buffer[end..<(end + length)])
                    buffer.removeFirst(end + length)
                    return Request(method: requestLine.count > 0 ? String(requestLine[0]) : "", path: requestLine.count > 1 ? String(requestLine[1]) : "/",
                                   headers: headers, body: body)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}
