import CLibUV
import Glibc
import Synchronization

/// Answers a request; may be called once, from any thread, at any later time. Later calls, and
/// calls after the connection closed, are ignored.
public typealias HTTPResponder = @Sendable (HTTPResponse) -> Void

/// Called on the loop thread for each request. It must not block: slow work goes elsewhere and
/// calls `respond` when done.
public typealias HTTPHandler = @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void

public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// An HTTP/1.1 server on an `EventLoop`: keep-alive, one request at a time per connection
/// (pipelining-safe), header/body limits (431/413), idle timeout and an absolute header deadline
/// (408), 400-and-close on malformed input;
/// WebSocket upgrades when given a router (`init(…upgrade:)`, Sources/HostNet/WebSocket/).
public final class HTTPServer: @unchecked Sendable {
    // @unchecked: `listener` and `connections` are loop-thread state; `boundPort` is atomic.
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks an ephemeral port; read the real one from `start()` or `port`.
        public var port: Int
        public var maxHeaderBytes: Int
        public var maxBodyBytes: Int
        public var idleTimeoutMilliseconds: UInt64
        /// A request's line and headers must be complete this long after the connection opened
        /// (or after the first byte of a later request on it), however steadily bytes arrive;
        /// otherwise 408 and close.
        public var headerTimeoutMilliseconds: UInt64 = 10_000
        public var backlog: Int32
        /// Limits and timers of upgraded WebSocket connections (see `init(…upgrade:)`).
        public var webSocket = WebSocketConfiguration()

        public init(host: String = "127.0.0.1", port: Int = 0, maxHeaderBytes: Int = 16 * 1024,
                    maxBodyBytes: Int = 1 << 20, idleTimeoutMilliseconds: UInt64 = 30_000, backlog: Int32 = 511) {
            self.host = host
            self.port = port
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
            self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
            self.backlog = backlog
        }
    }

    public let loop: EventLoop
    public let configuration: Configuration
    private let handler: HTTPHandler
    /// Serves WebSocket upgrades when the server was given a router; loop-thread state.
    private let upgrader: WebSocketUpgrader?
    private var listener: UnsafeMutablePointer<uv_tcp_t>?
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    private let boundPort = Atomic<Int>(0)

    /// `upgrade`, when given, decides every WebSocket handshake (a request naming `websocket` in
    /// `Upgrade` or carrying `Sec-WebSocket-Key`); it runs on the loop thread, only for handshakes
    /// that passed RFC 6455's checks (others get 400 or 426), and must not block. Without it such
    /// requests go to `handler` like any other.
    public init(loop: EventLoop, configuration: Configuration = Configuration(), handler: @escaping HTTPHandler,
                upgrade: (@Sendable (HTTPRequest) -> WebSocketRoute)? = nil) {
        self.loop = loop
        self.configuration = configuration
        self.handler = handler
        upgrader = upgrade.map { WebSocketUpgrader(loop: loop, configuration: configuration.webSocket, route: $0) }
    }

    /// The port it listens on; 0 before `start()` and after `stop()`.
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// [thread-safe] Binds and listens on the loop thread (which must be running); returns the port.
    @discardableResult
    public func start() throws(HTTPServerError) -> Int {
        // libuv writes with write(2): a peer that reset the connection would raise SIGPIPE and
        // kill the process, so it is ignored process-wide (as servers conventionally do).
        signal(SIGPIPE, SIG_IGN)
        guard let result = loop.submitAndWait({ self.listen() }) else {
            throw HTTPServerError(description: "event loop \(loop.name) is not running")
        }
        return try result.get()
    }

    /// [thread-safe] Closes the listener and every connection; responses still pending are dropped,
    /// WebSockets get a best-effort close frame with 1001.
    public func stop() {
        _ = loop.submitAndWait {
            self.closeListener()
            for connection in self.connections.values { connection.close() }
            self.connections = [:]
            self.upgrader?.closeAll()
        }
    }

    // MARK: loop thread

    private func listen() -> Result<Int, HTTPServerError> {
        guard listener == nil else { return .failure(HTTPServerError(description: "already started")) }
        var address = sockaddr_storage()
        let parsed = withUnsafeMutableBytes(of: &address) { raw in
            configuration.host.contains(":")
                ? uv_ip6_addr(configuration.host, Int32(configuration.port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
                : uv_ip4_addr(configuration.host, Int32(configuration.port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
        }
        guard parsed == 0 else { return .failure(HTTPServerError(description: "invalid host \(configuration.host)")) }

        let tcp = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uv, tcp)
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()   // released in the close callback
        var status = withUnsafePointer(to: &address) {
            uv_tcp_bind(tcp, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), 0)
        }
        if status == 0 {
            status = uv_listen(uvStream(tcp), configuration.backlog) { server, status in
                guard let server, status == 0 else { return }
                Unmanaged<HTTPServer>.fromOpaque(server.pointee.data).takeUnretainedValue().accept()
            }
        }
        listener = tcp
        guard status == 0 else {
            closeListener()
            return .failure(HTTPServerError(description: "cannot listen on \(configuration.host):\(configuration.port): \(uvError(status))"))
        }
        let port = Self.localPort(tcp)
        boundPort.store(port, ordering: .releasing)
        return .success(port)
    }

    private func closeListener() {
        guard let listener else { return }
        self.listener = nil
        boundPort.store(0, ordering: .releasing)
        uv_close(uvHandle(listener)) { handle in
            guard let handle else { return }
            Unmanaged<HTTPServer>.fromOpaque(handle.pointee.data).release()
            handle.deallocate()
        }
    }

    private func accept() {
        guard let listener else { return }
        let tcp = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uv, tcp)
        guard uv_accept(uvStream(listener), uvStream(tcp)) == 0 else {
            uv_close(uvHandle(tcp)) { $0?.deallocate() }
            return
        }
        uv_tcp_nodelay(tcp, 1)   // small responses must not wait for Nagle + delayed ACK
        let connection = HTTPConnection(tcp: tcp, loop: loop, configuration: configuration, handler: handler, upgrader: upgrader) { [unowned self] closed in
            self.connections[ObjectIdentifier(closed)] = nil
        }
        connections[ObjectIdentifier(connection)] = connection
        connection.begin()
    }

    private static func localPort(_ tcp: UnsafeMutablePointer<uv_tcp_t>) -> Int {
        var address = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            uv_tcp_getsockname(tcp, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length)
        }
        return withUnsafeBytes(of: &address) { raw in
            // sin_port and sin6_port sit at the same offset, in network byte order.
            Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
        }
    }
}
