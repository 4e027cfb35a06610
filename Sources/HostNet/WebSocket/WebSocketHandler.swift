import Glibc

/// What an `HTTPServer`'s upgrade router decides for a valid WebSocket handshake.
public enum WebSocketRoute: Sendable {
    /// Answer 101 and serve the connection with `handler`.
    case accept(WebSocketHandler)
    /// Answer with this response (e.g. 401, 404) and close.
    case reject(HTTPResponse)
}

/// The callbacks of one WebSocket connection, server or client side. All run on the connection's
/// loop thread, must not block, and are never called re-entrantly from `send`/`close`.
/// After `onClose` no other callback comes.
public struct WebSocketHandler: Sendable {
    /// The handshake finished; the connection can send.
    public var onOpen: @Sendable (WebSocketConnection) -> Void
    /// A whole text message (fragments are reassembled, UTF-8 is checked).
    public var onText: @Sendable (WebSocketConnection, String) -> Void
    /// A whole binary message.
    public var onBinary: @Sendable (WebSocketConnection, [UInt8]) -> Void
    /// The connection is over: the close code and reason that ended it — the peer's when it
    /// closed first, ours when we did (including failures such as 1002, 1007, 1009, 1008, 1001 on
    /// idle timeout), 1006 when TCP ended without a close handshake. Called exactly once.
    public var onClose: @Sendable (WebSocketConnection, UInt16, String) -> Void

    public init(onOpen: @escaping @Sendable (WebSocketConnection) -> Void = { _ in },
                onText: @escaping @Sendable (WebSocketConnection, String) -> Void = { _, _ in },
                onBinary: @escaping @Sendable (WebSocketConnection, [UInt8]) -> Void = { _, _ in },
                onClose: @escaping @Sendable (WebSocketConnection, UInt16, String) -> Void = { _, _, _ in }) {
        self.onOpen = onOpen
        self.onText = onText
        self.onBinary = onBinary
        self.onClose = onClose
    }
}

/// Limits and timers of WebSocket connections (server side: `HTTPServer.Configuration.webSocket`;
/// client side: `WebSocketClient.connect`).
public struct WebSocketConfiguration: Sendable {
    /// A larger incoming message (all fragments together) fails the connection with 1009.
    public var maxMessageBytes: Int
    /// Outgoing bytes libuv may hold for a peer that reads slowly; beyond it the connection is
    /// closed with 1008 (and a log line) instead of buffering without bound.
    public var maxQueuedBytes: Int
    /// No frame received for this long closes the connection with 1001. 0 disables it.
    public var idleTimeoutMilliseconds: UInt64
    /// Sends a ping this often so an idle but healthy peer keeps the connection (its pong counts
    /// as traffic for the peer's and our idle timers). 0 disables it.
    public var pingIntervalMilliseconds: UInt64
    /// How long a closing connection waits for the peer's close frame and TCP close before it
    /// drops the socket.
    public var closeTimeoutMilliseconds: UInt64
    /// Client side: how long connecting plus the opening handshake may take.
    public var handshakeTimeoutMilliseconds: UInt64
    /// Where notable events go (a slow peer dropped, a protocol violation). Any thread.
    public var log: @Sendable (String) -> Void

    public init(maxMessageBytes: Int = 1 << 20, maxQueuedBytes: Int = 8 << 20, idleTimeoutMilliseconds: UInt64 = 60_000,
                pingIntervalMilliseconds: UInt64 = 0, closeTimeoutMilliseconds: UInt64 = 5_000,
                handshakeTimeoutMilliseconds: UInt64 = 10_000,
                log: @escaping @Sendable (String) -> Void = WebSocketConfiguration.standardErrorLog) {
        self.maxMessageBytes = maxMessageBytes
        self.maxQueuedBytes = maxQueuedBytes
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.pingIntervalMilliseconds = pingIntervalMilliseconds
        self.closeTimeoutMilliseconds = closeTimeoutMilliseconds
        self.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
        self.log = log
    }

    /// The default log: one line on stderr, prefixed `[websocket]`.
    public static let standardErrorLog: @Sendable (String) -> Void = { line in
        var text = "[websocket] \(line)\n"
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
