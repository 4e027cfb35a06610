import CHostShims
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

/// Why the server turned a connection away (`HTTPServerEvents.connectionRefused`); the raw value
/// is the `reason` label of `agent_host_connections_refused_total`.
public enum ConnectionRefusal: String, Sendable, CaseIterable {
    /// `maxConnections` connections were open: the client got 503 and the socket closed.
    case global
    /// Its address had `maxConnectionsPerClient` connections open: 503 and closed.
    case perClient = "per_client"
    /// `accept` failed with EMFILE/ENFILE (no file descriptor left): accepting pauses; the client
    /// waits in the kernel's backlog until it resumes (or is dropped if the backlog is full).
    case descriptors = "emfile"
}

/// What an `HTTPServer` tells its owner about its connections; every callback runs on the loop
/// thread and must be quick. The host feeds them into its metrics and its one logger.
public struct HTTPServerEvents: Sendable {
    /// One connection refused (each one: a flood calls this per socket; it is not rate-limited).
    public var connectionRefused: @Sendable (ConnectionRefusal) -> Void
    /// The number of open connections (HTTP and upgraded WebSocket) changed.
    public var openConnectionsChanged: @Sendable (Int) -> Void
    /// Warnings for the operator (a cap hit, accepting paused), at most one line per cause per
    /// 10 s while it lasts.
    public var log: @Sendable (String) -> Void

    public init(connectionRefused: @escaping @Sendable (ConnectionRefusal) -> Void = { _ in },
                openConnectionsChanged: @escaping @Sendable (Int) -> Void = { _ in },
                log: @escaping @Sendable (String) -> Void = HTTPServerEvents.standardErrorLog) {
        self.connectionRefused = connectionRefused
        self.openConnectionsChanged = openConnectionsChanged
        self.log = log
    }

    /// The default log: one line on stderr, prefixed `[http]`.
    public static let standardErrorLog: @Sendable (String) -> Void = { line in
        var text = "[http] \(line)\n"
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// An HTTP/1.1 server on an `EventLoop`: keep-alive, one request at a time per connection
/// (pipelining-safe), header/body limits (431/413), an absolute header deadline (408) besides the
/// idle timeout, caps on open connections globally and per client address (503 and close), a
/// pause in accepting when file descriptors run out, 400-and-close on malformed input, 505 for
/// versions other than HTTP/1.x; WebSocket upgrades when given a router (`init(…upgrade:)`,
/// Sources/HostNet/WebSocket/). Every error it sends itself is a JSON `{"error": …}`.
///
/// It accepts connections itself (a non-blocking listening socket watched by a `uv_poll_t`, and
/// `accept4`), not through `uv_listen`: libuv's accept hides EMFILE (it accepts and resets every
/// waiting client, logging nothing), and cannot stop watching the listening socket.
public final class HTTPServer: @unchecked Sendable {
    // @unchecked: the listener and connections are loop-thread state; `boundPort` is atomic and
    // `counts` thread-safe.
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
        /// Open connections (HTTP and WebSocket) across all clients; beyond: 503 and close.
        public var maxConnections = 10_000
        /// Open connections from one client IP address; beyond: 503 and close.
        public var maxConnectionsPerClient = 256
        /// How long accepting pauses when `accept` runs out of file descriptors (it resumes
        /// sooner when one of this server's connections closes).
        public var acceptPauseMilliseconds: UInt64 = 250
        public var backlog: Int32
        /// SO_REUSEPORT: several listeners (one per loop, `server.loops`) bind the same port and
        /// the kernel spreads new connections over them.
        public var reusePort = false
        /// Where the caps count: nil, this server's own; one `ConnectionCounts` given to several
        /// servers (the loops of one host) makes `maxConnections` and `maxConnectionsPerClient`
        /// hold for them together, and `openConnectionsChanged` report their total.
        public var connectionCounts: ConnectionCounts?
        /// Limits and timers of upgraded WebSocket connections (see `init(…upgrade:)`).
        public var webSocket = WebSocketConfiguration()
        /// Where refusals, the open-connection count and warnings go.
        public var events = HTTPServerEvents()

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

    /// Accepts per readiness callback: a flood of connections cannot hold the loop for long (the
    /// listening socket stays readable, so the rest are taken on the next iterations).
    private static let acceptsPerWakeup = 64

    public let loop: EventLoop
    public let configuration: Configuration
    private let handler: HTTPHandler
    /// Serves WebSocket upgrades when the server was given a router; loop-thread state.
    private let upgrader: WebSocketUpgrader?
    private var listener: UnsafeMutablePointer<uv_poll_t>?
    private var listenFD: Int32 = -1
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    /// What every connection of this server reads into (they share its loop thread).
    private let readBuffer = ReadBuffer()
    private let boundPort = Atomic<Int>(0)
    /// Open connections, in total and per client address (shared by a host's loops, or its own).
    private let counts: ConnectionCounts
    /// The 503 each cap answers with, serialized once.
    private let refusalBytes: [ConnectionRefusal: [UInt8]]
    /// Set while accepting is paused for lack of file descriptors.
    private var acceptPause: LoopTimer?
    private var paused = false
    /// When the current shortage of descriptors began (nil: accepting works), and whether it was logged.
    private var shortageSince: UInt64?
    private var shortageLogged = false
    private var shortage = ""
    private var warnings: ThrottledLog?

    /// `upgrade`, when given, decides every WebSocket handshake (a request naming `websocket` in
    /// `Upgrade` or carrying `Sec-WebSocket-Key`); it runs on the loop thread, only for handshakes
    /// that passed RFC 6455's checks (others get 400 or 426), and must not block. Without it such
    /// requests go to `handler` like any other.
    public init(loop: EventLoop, configuration: Configuration = Configuration(), handler: @escaping HTTPHandler,
                upgrade: (@Sendable (HTTPRequest) -> WebSocketRoute)? = nil) {
        self.loop = loop
        self.configuration = configuration
        self.handler = handler
        counts = configuration.connectionCounts ?? ConnectionCounts()
        upgrader = upgrade.map { WebSocketUpgrader(loop: loop, configuration: configuration.webSocket, route: $0) }
        func refusal(_ message: String) -> [UInt8] {
            var response = HTTPResponse.error(503, message)
            response.headers["Retry-After"] = "1"
            return response.serialized(closing: true, includeBody: true)
        }
        refusalBytes = [
            .global: refusal("the server has \(configuration.maxConnections) connections open, its limit: retry in a moment, "
                             + "and keep one connection open for several requests"),
            .perClient: refusal("your address has \(configuration.maxConnectionsPerClient) connections open to this server, "
                                + "its limit per client: close idle connections or reuse one, then retry"),
        ]
    }

    /// The port it listens on; 0 before `start()` and after `stop()`.
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// [thread-safe] Open connections (HTTP and upgraded WebSocket) right now.
    /// With shared `connectionCounts`, every server's that shares them.
    public var openConnections: Int { counts.open }

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
            self.warnings?.close()
        }
    }

    // MARK: loop thread: listening

    private func listen() -> Result<Int, HTTPServerError> {
        guard listener == nil else { return .failure(HTTPServerError(description: "already started")) }
        let endpoint = "\(configuration.host):\(configuration.port)"
        var address = sockaddr_storage()
        let v6 = configuration.host.contains(":")
        let parsed = withUnsafeMutableBytes(of: &address) { raw in
            v6 ? uv_ip6_addr(configuration.host, Int32(configuration.port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
               : uv_ip4_addr(configuration.host, Int32(configuration.port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
        }
        guard parsed == 0 else { return .failure(HTTPServerError(description: "invalid host \(configuration.host)")) }

        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(HTTPServerError(description: "cannot listen on \(endpoint): \(UVError(-errno))")) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))   // as uv_tcp_bind does
        if configuration.reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let length = socklen_t(v6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        var status = withUnsafePointer(to: &address) { bind(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), length) }
        if status == 0 { status = Glibc.listen(fd, configuration.backlog) }
        if status != 0 {
            let code = errno
            Glibc.close(fd)
            return .failure(HTTPServerError(description: "cannot listen on \(endpoint): \(UVError(-code))"))
        }
        let poll = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
        status = uv_poll_init_socket(loop.uv, poll, fd)
        guard status == 0 else {
            poll.deallocate()
            Glibc.close(fd)
            return .failure(HTTPServerError(description: "cannot listen on \(endpoint): \(UVError(status))"))
        }
        poll.pointee.data = Unmanaged.passRetained(self).toOpaque()   // released in the close callback
        listener = poll
        listenFD = fd
        acceptPause = LoopTimer(loop: loop)
        warnings = ThrottledLog(loop: loop, sink: configuration.events.log)
        startAccepting()
        let port = Self.localPort(fd)
        boundPort.store(port, ordering: .releasing)
        return .success(port)
    }

    private func startAccepting() {
        guard let listener else { return }
        paused = false
        uv_poll_start(listener, Int32(UV_READABLE.rawValue)) { poll, status, _ in
            guard let poll, let data = poll.pointee.data else { return }
            let server = Unmanaged<HTTPServer>.fromOpaque(data).takeUnretainedValue()
            if status < 0 {
                server.warnings?.note("listen", "the listening socket failed: \(UVError(status)); new connections cannot be accepted") { _ in nil }
                return
            }
            server.acceptReady()
        }
    }

    private func closeListener() {
        guard let listener else { return }
        self.listener = nil
        boundPort.store(0, ordering: .releasing)
        acceptPause?.close()
        acceptPause = nil
        let fd = listenFD
        listenFD = -1
        uv_close(uvHandle(listener)) { handle in
            guard let handle else { return }
            Unmanaged<HTTPServer>.fromOpaque(handle.pointee.data).release()
            handle.deallocate()
        }
        Glibc.close(fd)   // after uv_close: libuv stopped watching it there
    }

    // MARK: loop thread: accepting

    private func acceptReady() {
        for _ in 0..<Self.acceptsPerWakeup {
            guard listener != nil, !paused else { return }
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                host_accept4_nonblocking(listenFD, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length)
            }
            guard fd >= 0 else {
                let code = errno
                switch code {
                case EAGAIN: return                                  // nobody else waiting
                case EINTR, ECONNABORTED, EPROTO: continue           // that client is gone; next
                case EMFILE, ENFILE, ENOBUFS, ENOMEM: return pauseAccepting(code)
                default:
                    warnings?.note("accept", "accept failed: \(UVError(-code))") { "accept failed \($0) more times in the last 10 s" }
                    return
                }
            }
            admit(fd, ClientAddress(address))
        }
    }

    private func admit(_ fd: Int32, _ client: ClientAddress) {
        if let since = shortageSince {
            shortageSince = nil
            if shortageLogged {
                let seconds = Double(loop.nowMilliseconds &- since) / 1000
                configuration.events.log("accepting connections again after \(seconds) s \(shortage)")
            }
            shortageLogged = false
        }
        let open: Int
        switch counts.admit(client, maxConnections: configuration.maxConnections, maxPerClient: configuration.maxConnectionsPerClient) {
        case .admitted(let count): open = count
        case .refused(let refusal): return refuse(fd, refusal, client)
        }

        let tcp = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uv, tcp)
        guard uv_tcp_open(tcp, fd) == 0 else {
            _ = counts.release(client)
            Glibc.close(fd)
            uv_close(uvHandle(tcp)) { $0?.deallocate() }
            return
        }
        uv_tcp_nodelay(tcp, 1)   // small responses must not wait for Nagle + delayed ACK
        configuration.events.openConnectionsChanged(open)
        let slot = ConnectionSlot { [weak self] in self?.released(client) }
        let connection = HTTPConnection(tcp: tcp, loop: loop, configuration: configuration, handler: handler, upgrader: upgrader,
                                        slot: slot, readBuffer: readBuffer) { [unowned self] closed in
            self.connections[ObjectIdentifier(closed)] = nil
        }
        connections[ObjectIdentifier(connection)] = connection
        connection.begin()
    }

    /// A connection under a cap gets the cap's 503 (if its socket takes it at once) and is closed.
    private func refuse(_ fd: Int32, _ reason: ConnectionRefusal, _ client: ClientAddress) {
        configuration.events.connectionRefused(reason)   // counted before the client can see the 503
        if let bytes = refusalBytes[reason] {
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL)) }
        }
        Glibc.close(fd)
        switch reason {
        case .global:
            let cap = configuration.maxConnections
            warnings?.note("global", "refused a connection from \(client): \(cap) connections are open, the max_connections cap "
                           + "(each refused client gets 503); raise the cap if the host has room, or add hosts") {
                "refused \($0) more connections in the last 10 s: max_connections (\(cap)) open"
            }
        case .perClient:
            let cap = configuration.maxConnectionsPerClient
            warnings?.note("per_client", "refused a connection from \(client): it has \(cap) open, the max_connections_per_client cap "
                           + "(each refused client gets 503); clients behind one proxy or NAT share an address: raise the cap for them") {
                "refused \($0) more connections in the last 10 s over max_connections_per_client (\(cap)), the last from \(client)"
            }
        case .descriptors:
            break
        }
    }

    /// accept ran out of descriptors (EMFILE, ENFILE) or of socket memory (ENOBUFS, ENOMEM): stop
    /// watching the listening socket (it stays readable, so polling it would spin) until a
    /// connection of ours closes or `acceptPauseMilliseconds` pass.
    private func pauseAccepting(_ code: Int32) {
        let descriptors = code == EMFILE || code == ENFILE
        if descriptors { configuration.events.connectionRefused(.descriptors) }
        guard let listener else { return }
        paused = true
        uv_poll_stop(listener)
        if shortageSince == nil { shortageSince = loop.nowMilliseconds }
        let limit = Self.descriptorLimit.map { " (the limit is \($0))" } ?? ""
        shortage = descriptors ? "out of file descriptors\(limit)" : "out of memory for sockets"
        let shortage = self.shortage
        let advice = descriptors ? "raise the process's open-file limit (LimitNOFILE) or lower max_connections" : "the machine is short of memory"
        let pause = configuration.acceptPauseMilliseconds
        let logged = warnings?.note(descriptors ? "emfile" : "enobufs", "\(shortage): accept failed with \(UVError(-code)); not accepting "
                                    + "connections for \(pause) ms or until one closes; \(advice)") {
            "accepting paused \($0) more times in the last 10 s: \(shortage)"
        } ?? false
        shortageLogged = shortageLogged || logged
        acceptPause?.start(after: pause) { [unowned self] in self.startAccepting() }
    }

    private func released(_ client: ClientAddress) {
        configuration.events.openConnectionsChanged(counts.release(client))
        if paused {
            // A descriptor is free again: try the waiting clients now.
            acceptPause?.stop()
            startAccepting()
        }
    }

    /// The soft limit on open files, for the log line.
    private static var descriptorLimit: UInt64? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return UInt64(limit.rlim_cur)
    }

    private static func localPort(_ fd: Int32) -> Int {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            getsockname(fd, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length)
        }
        return withUnsafeBytes(of: &address) { raw in
            // sin_port and sin6_port sit at the same offset, in network byte order.
            Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
        }
    }
}

/// A connection's place under the server's caps: freed once, when its socket closes (by the
/// HTTP connection, or by the WebSocket it became). Loop-thread only.
final class ConnectionSlot {
    private var release: (() -> Void)?

    init(_ release: @escaping () -> Void) { self.release = release }

    func free() {
        let release = self.release
        self.release = nil
        release?()
    }
}

/// A client's IP address (without the port), as the per-client cap counts it.
struct ClientAddress: Hashable, CustomStringConvertible {
    private let family: sa_family_t
    private let high: UInt64
    private let low: UInt64

    init(_ storage: sockaddr_storage) {
        var storage = storage
        family = storage.ss_family
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            (high, low) = (0, UInt64(address.sin_addr.s_addr))
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            (high, low) = withUnsafeBytes(of: address.sin6_addr) { ($0.load(fromByteOffset: 0, as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
        default:
            (high, low) = (0, 0)
        }
    }

    var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if Int32(family) == AF_INET {
            var address = in_addr(s_addr: in_addr_t(truncatingIfNeeded: low))
            inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
        } else if Int32(family) == AF_INET6 {
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) {
                $0.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
                $0.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
            }
            inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
        } else {
            return "an unknown address"
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
