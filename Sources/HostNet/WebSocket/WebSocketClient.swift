// CHostShims for SOCK_STREAM: once CHostShims includes <sys/socket.h> (for accept4), a whole-module
// (release) build finds the socket constants through it, not through Glibc.
import CHostShims
import CLibUV
import Dispatch
import Glibc
import Synchronization

/// Why a client connection never opened.
public struct WebSocketClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Not a `ws://` or `wss://host[:port][/path][?query]` URL.
        case invalidURL
        /// The host name did not resolve.
        case resolve
        /// TCP connect failed (refused, unreachable) or the connection dropped mid-handshake.
        case connect
        /// Connecting plus the handshake took longer than `handshakeTimeoutMilliseconds`.
        case timeout
        /// The server answered with another status than 101: see `status` and `message` (its body).
        case rejected
        /// A 101 that breaks RFC 6455 (wrong accept value, missing headers) or a garbled answer.
        case badHandshake
        /// The event loop is not running.
        case loopStopped
        /// `wss://`: TLS refused the server (certificate verification: see `tlsError`) or failed.
        case tls
    }

    public let kind: Kind
    /// The server's HTTP status for `rejected`, else nil.
    public let status: Int?
    public let message: String
    /// For `tls`: the typed reason (e.g. `.verification`).
    public var tlsError: TLSError? = nil

    public var description: String {
        if let status { return "WebSocket handshake rejected with \(status): \(message)" }
        if let tlsError { return "WebSocket connection failed (tls): \(tlsError.message)" }
        return "WebSocket connection failed (\(kind)): \(message)"
    }
}

/// The client side over libuv TCP, for `ws://` and `wss://` URLs (TLS through `TLSEngine`,
/// certificates always verified): the opening handshake, then a `WebSocketConnection` whose
/// frames are masked, with the same callbacks as the server side.
public enum WebSocketClient {
    /// [thread-safe] Connects to `url` (`ws://` or `wss://host[:port]/path?query`) on `loop`,
    /// sending `headers` (e.g. `Authorization`) with the handshake. `tls` says how a `wss://`
    /// server is verified (system CA store by default). Then either `handler.onOpen` runs (and
    /// later `onClose`), or `onFailure` runs once; both on the loop thread (`onFailure` on the
    /// caller's when the loop is not running or the TLS configuration is unusable).
    public static func connect(_ url: String, headers: HTTPHeaders = [:], loop: EventLoop,
                               configuration: WebSocketConfiguration = WebSocketConfiguration(),
                               tls: TLSClientConfiguration = TLSClientConfiguration(),
                               handler: WebSocketHandler,
                               onFailure: @escaping @Sendable (WebSocketClientError) -> Void) {
        guard let target = WebSocketURL(url) else {
            return onFailure(WebSocketClientError(kind: .invalidURL, status: nil, message: "not a ws:// or wss:// URL: \(url)"))
        }
        let context: TLSContext?
        do {
            context = target.secure ? try TLSContext.client(caFile: tls.caFile) : nil   // cached: loads the CA bundle once
        } catch {
            return onFailure(WebSocketClientError(kind: .tls, status: nil, message: error.message, tlsError: error))
        }
        let serverName = tls.serverName ?? target.host
        let started = loop.execute {
            ClientHandshake(loop: loop, url: target, headers: headers, configuration: configuration,
                            handler: handler, onFailure: onFailure).begin(tls: context.map { ($0, serverName) })
        }
        if !started { onFailure(WebSocketClientError(kind: .loopStopped, status: nil, message: "event loop \(loop.name) is not running")) }
    }
}

/// `ws://` or `wss://host[:port][/path][?query]`, split for connecting and for the request line.
struct WebSocketURL: Sendable, Equatable {
    /// `wss://`: TLS over the TCP connection.
    var secure = false
    var host: String
    var port: Int
    /// Path and query as sent in the request line; "/" at least.
    var target: String

    /// The `Host` header: the port only when it is not the scheme's default, brackets around IPv6.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }
}

extension WebSocketURL {
    init?(_ url: String) {
        let scheme = url.prefix(6).lowercased()
        if scheme.hasPrefix("ws://") {
            secure = false
        } else if scheme == "wss://" {
            secure = true
        } else {
            return nil
        }
        var rest = url.dropFirst(secure ? 6 : 5)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        target = path.isEmpty ? "/" : path.first == "?" ? "/" + path : String(path)
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
        }
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            port = secure ? 443 : 80
        }
        guard !host.isEmpty else { return nil }
    }
}

/// Resolve, connect, (`wss://`: the TLS handshake,) send the upgrade request, check the 101, then
/// hand the socket (and the TLS engine) to a `WebSocketConnection`. Loop-thread only. Every
/// pending libuv request holds a retain on it.
private final class ClientHandshake {
    private static let maxHeadBytes = 16 * 1024
    private static let maxRejectionBody = 64 * 1024
    private static let readBufferSize = 16 * 1024

    private let loop: EventLoop
    private let url: WebSocketURL
    private let configuration: WebSocketConfiguration
    private let handler: WebSocketHandler
    private let onFailure: @Sendable (WebSocketClientError) -> Void
    private let key = WebSocketHandshake.makeKey()
    private let request: HTTPRequest
    private let timer: LoopTimer
    private var tcp: UnsafeMutablePointer<uv_tcp_t>?
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: readBufferSize, alignment: 16)
    private var received: [UInt8] = []
    /// `wss://`: the TLS connection; the upgrade request goes out once its handshake is done.
    private var tls: TLSEngine?
    private var headSent = false
    /// A non-101 answer whose body is still arriving: (status, body offset, body length).
    private var rejection: (status: Int, bodyStart: Int, length: Int)?
    private var finished = false

    init(loop: EventLoop, url: WebSocketURL, headers: HTTPHeaders, configuration: WebSocketConfiguration,
         handler: WebSocketHandler, onFailure: @escaping @Sendable (WebSocketClientError) -> Void) {
        self.loop = loop
        self.url = url
        self.configuration = configuration
        self.handler = handler
        self.onFailure = onFailure
        var all: HTTPHeaders = [
            "Host": url.hostHeader, "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13",
        ]
        let owned = ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Content-Length", "Transfer-Encoding"]
        for (name, value) in headers where !owned.contains(where: { HTTPHeaders.same($0, name) }) { all.add(name, value) }
        request = HTTPRequest(method: "GET", target: url.target, headers: all, isUpgrade: true)
        timer = LoopTimer(loop: loop)
    }

    /// Whoever retains this object last is done with the socket, so the buffer can go.
    deinit { readBuffer.deallocate() }

    func begin(tls: (context: TLSContext, serverName: String)?) {
        if let tls {
            do {
                self.tls = try TLSEngine(context: tls.context, host: tls.serverName)
            } catch {
                return failTLS(error)
            }
        }
        timer.start(after: configuration.handshakeTimeoutMilliseconds) { [self] in
            fail(.timeout, "no WebSocket handshake within \(configuration.handshakeTimeoutMilliseconds) ms")
        }
        var address = sockaddr_storage()
        let numeric = withUnsafeMutableBytes(of: &address) { raw in
            url.host.contains(":")
                ? uv_ip6_addr(url.host, Int32(url.port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
                : uv_ip4_addr(url.host, Int32(url.port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
        }
        if numeric == 0 { return connect(&address) }
        resolve()
    }

    // MARK: resolve and connect

    /// The loop's one `Resolver`; a handshake that timed out meanwhile ignores the answer.
    private func resolve() {
        Resolver(loop: loop).resolve(url.host, port: url.port) { [self] result in
            guard !finished else { return }
            switch result {
            case .success(var address): connect(&address.storage)
            case .failure(let error): fail(.resolve, "cannot resolve \(url.host): \(error)")
            }
        }
    }

    private func connect(_ address: UnsafeMutablePointer<sockaddr_storage>) {
        let tcp = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uv, tcp)
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()   // released in close or at handover
        self.tcp = tcp
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = uv_tcp_connect(request, tcp, UnsafeRawPointer(address).assumingMemoryBound(to: sockaddr.self)) { request, status in
            guard let request else { return }
            let handshake = Unmanaged<ClientHandshake>.fromOpaque(request.pointee.data).takeRetainedValue()
            request.deallocate()
            guard !handshake.finished else { return }
            handshake.connected(status)
        }
        if status < 0 {
            Unmanaged<ClientHandshake>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            fail(.connect, "cannot connect to \(url.hostHeader): \(UVError(status))")
        }
    }

    private func connected(_ status: Int32) {
        guard let tcp else { return }
        guard status == 0 else { return fail(.connect, "cannot connect to \(url.hostHeader): \(UVError(status))") }
        uv_tcp_nodelay(tcp, 1)
        if let tls {
            do {
                try tls.handshake()   // the ClientHello
            } catch {
                return failTLS(error)
            }
            guard uvWritePending(uvStream(tcp), tls) >= 0 else { return fail(.connect, "cannot send the TLS handshake") }
        } else {
            sendHead()
        }
        uv_read_start(uvStream(tcp), { handle, _, buffer in
            let handshake = Unmanaged<ClientHandshake>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            buffer?.pointee = uv_buf_init(handshake.readBuffer.assumingMemoryBound(to: CChar.self), UInt32(ClientHandshake.readBufferSize))
        }, { stream, count, _ in
            Unmanaged<ClientHandshake>.fromOpaque(stream!.pointee.data).takeUnretainedValue().didRead(count)
        })
    }

    private func sendHead() {
        guard let tcp, !headSent else { return }
        headSent = true
        var head = "GET \(request.target) HTTP/1.1\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8)
        let status: Int32
        if let tls {
            do {
                try Self.encrypt(bytes, with: tls)
            } catch {
                return failTLS(error)
            }
            status = uvWritePending(uvStream(tcp), tls)
        } else {
            status = uvWrite(uvStream(tcp), bytes)
        }
        if status < 0 { fail(.connect, "cannot send the handshake") }
    }

    // MARK: the answer

    private func didRead(_ count: Int) {
        guard !finished else { return }
        if count < 0 {
            if let rejection {   // a body without Content-Length ends at EOF
                return reject(rejection.status, Array(received[rejection.bodyStart...]))
            }
            let during = tls?.isHandshakeComplete == false ? "the TLS handshake" : "the handshake"
            return fail(.connect, "connection closed during \(during): \(UVError(Int32(count)))")
        }
        let bytes = UnsafeRawBufferPointer(start: readBuffer, count: count)
        if let tls, let tcp {
            do {
                try tls.receive(bytes, into: &received)
            } catch {
                return failTLS(error)
            }
            guard uvWritePending(uvStream(tcp), tls) >= 0 else { return fail(.connect, "cannot send the TLS handshake") }
            guard tls.isHandshakeComplete else { return }
            if !headSent { sendHead() }
        } else {
            received += bytes
        }
        examine()
    }

    private func examine() {
        guard !finished else { return }
        if let rejection {
            if received.count - rejection.bodyStart >= rejection.length {
                reject(rejection.status, Array(received[rejection.bodyStart..<(rejection.bodyStart + rejection.length)]))
            }
            return
        }
        guard let end = Self.headEnd(received) else {
            if received.count > Self.maxHeadBytes { fail(.badHandshake, "handshake answer over \(Self.maxHeadBytes) bytes") }
            return
        }
        guard let (status, headers) = Self.parseHead(received[..<end]) else {
            return fail(.badHandshake, "not an HTTP response")
        }
        let bodyStart = end + 4
        guard status == 101 else {
            let length = min(Int(headers["Content-Length"] ?? "") ?? Self.maxRejectionBody, Self.maxRejectionBody)
            rejection = (status, bodyStart, length)
            return examine()   // the body may already be here
        }
        guard WebSocketHandshake.hasToken(headers.values("Upgrade"), "websocket"),
              WebSocketHandshake.hasToken(headers.values("Connection"), "upgrade") else {
            return fail(.badHandshake, "101 without 'Upgrade: websocket' and 'Connection: Upgrade'")
        }
        guard headers["Sec-WebSocket-Accept"] == WebSocketHandshake.acceptValue(forKey: key) else {
            return fail(.badHandshake, "wrong Sec-WebSocket-Accept")
        }
        guard !headers.contains("Sec-WebSocket-Extensions") else {
            return fail(.badHandshake, "the server chose an extension this client did not offer")
        }
        open(leftover: Array(received[bodyStart...]))
    }

    /// Hands the socket to a client-role `WebSocketConnection`, which retains it from here on.
    private func open(leftover: [UInt8]) {
        guard let tcp else { return }
        finish()
        uv_read_stop(uvStream(tcp))
        Unmanaged<ClientHandshake>.fromOpaque(tcp.pointee.data).release()
        tcp.pointee.data = nil
        self.tcp = nil
        let connection = WebSocketConnection(tcp: tcp, loop: loop, role: .client, request: request,
                                             configuration: configuration, handler: handler, tls: tls)
        connection.start(greeting: [], leftover: leftover)
    }

    private static func encrypt(_ bytes: [UInt8], with tls: TLSEngine) throws(TLSError) {
        var failure: TLSError?
        bytes.withUnsafeBytes { raw in
            do throws(TLSError) { try tls.send(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func failTLS(_ error: TLSError) {
        // OpenSSL queued an alert telling the server why (e.g. "unknown CA"); libuv writes it
        // at once (its queue is empty during the handshake), before the close below.
        if let tcp, let tls { _ = uvWritePending(uvStream(tcp), tls) }
        fail(.tls, error.message, tlsError: error)
    }

    private func reject(_ status: Int, _ body: [UInt8]) {
        let text = String(decoding: body, as: UTF8.self).trimmingTrailingNewlines
        fail(.rejected, text, status: status)
    }

    private func fail(_ kind: WebSocketClientError.Kind, _ message: String, status: Int? = nil, tlsError: TLSError? = nil) {
        guard !finished else { return }
        finish()
        if let tcp {
            self.tcp = nil
            uv_read_stop(uvStream(tcp))
            uv_close(uvHandle(tcp)) { handle in
                guard let handle else { return }
                if let data = handle.pointee.data { Unmanaged<ClientHandshake>.fromOpaque(data).release() }
                handle.deallocate()
            }
        }
        onFailure(WebSocketClientError(kind: kind, status: status, message: message, tlsError: tlsError))
    }

    private func finish() {
        finished = true
        timer.close()
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Status code and headers of a response head (status line + fields, without the blank line).
    private static func parseHead(_ head: ArraySlice<UInt8>) -> (Int, HTTPHeaders)? {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.") else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.add(String(line[..<colon]), String(value))
        }
        return (status, headers)
    }
}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var text = self
        while let last = text.last, last == "\n" || last == "\r" { text.removeLast() }
        return text
    }
}

/// A WebSocket client for tests and command-line tools: blocking calls, its own event loop on
/// its own thread. Never call it from a loop thread's callbacks.
public final class BlockingWebSocket: Sendable {
    public enum Message: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
        /// The connection ended (returned by every later `receive`).
        case closed(code: UInt16, reason: String)
    }

    private let loop: EventLoop
    private let connection: WebSocketConnection
    private let inbox: Inbox

    /// Connects and waits for the handshake; throws `WebSocketClientError` on failure.
    public init(url: String, headers: HTTPHeaders = [:],
                configuration: WebSocketConfiguration = WebSocketConfiguration(),
                tls: TLSClientConfiguration = TLSClientConfiguration()) throws(WebSocketClientError) {
        let loop = EventLoop(name: "websocket-client")
        loop.start()
        let inbox = Inbox()
        let outcome = Outcome()
        let handler = WebSocketHandler(
            onOpen: { connection in outcome.settle(.success(connection)) },
            onText: { _, text in inbox.push(.text(text)) },
            onBinary: { _, bytes in inbox.push(.binary(bytes)) },
            onClose: { _, code, reason in inbox.push(.closed(code: code, reason: reason)) })
        WebSocketClient.connect(url, headers: headers, loop: loop, configuration: configuration, tls: tls, handler: handler) { error in
            outcome.settle(.failure(error))
        }
        switch outcome.wait() {   // the handshake has its own timeout, so this returns
        case .success(let connection):
            self.loop = loop
            self.connection = connection
            self.inbox = inbox
        case .failure(let error):
            loop.stop()
            throw error
        }
    }

    deinit {
        _ = close(timeoutSeconds: 2)
        loop.stop()
    }

    /// The upgrade request as sent.
    public var request: HTTPRequest { connection.request }

    public func send(text: String) { connection.send(text: text) }
    public func send(binary: [UInt8]) { connection.send(binary: binary) }

    /// The next message, `.closed` once the connection has ended, or nil after `timeoutSeconds`.
    public func receive(timeoutSeconds: Double = 10) -> Message? {
        inbox.pop(timeoutSeconds: timeoutSeconds)
    }

    /// Starts the close handshake and waits for the end; returns the code and reason `onClose`
    /// reported (nil on timeout). Messages still unread are discarded.
    @discardableResult
    public func close(code: UInt16 = WebSocketCloseCode.normal, reason: String = "", timeoutSeconds: Double = 10) -> (code: UInt16, reason: String)? {
        connection.close(code: code, reason: reason)
        while let message = inbox.pop(timeoutSeconds: timeoutSeconds) {
            if case .closed(let code, let reason) = message { return (code, reason) }
        }
        return nil
    }

    /// How the handshake ended, from the loop thread to the caller's.
    private final class Outcome: Sendable {
        private let result = Mutex<Result<WebSocketConnection, WebSocketClientError>?>(nil)
        private let settled = DispatchSemaphore(value: 0)

        func settle(_ value: Result<WebSocketConnection, WebSocketClientError>) {
            result.withLock { $0 = value }
            settled.signal()
        }

        /// Takes the result, so no reference cycle runs through the connection's `onOpen`.
        func wait() -> Result<WebSocketConnection, WebSocketClientError> {
            settled.wait()
            return result.withLock { $0.take()! }
        }
    }

    /// Messages from the loop thread to the caller's.
    private final class Inbox: Sendable {
        private let messages = Mutex<[Message]>([])
        private let available = DispatchSemaphore(value: 0)

        func push(_ message: Message) {
            messages.withLock { $0.append(message) }
            available.signal()
        }

        func pop(timeoutSeconds: Double) -> Message? {
            guard available.wait(timeout: .now() + timeoutSeconds) == .success else { return nil }
            return messages.withLock { messages in
                let first = messages.removeFirst()
                // `.closed` stays, so every later call sees it too.
                if case .closed = first {
                    messages.insert(first, at: 0)
                    available.signal()
                }
                return first
            }
        }
    }
}
