import CLibUV

/// The server side of an upgrade: checks the handshake, asks the router, and turns an accepted
/// HTTP connection's socket into a `WebSocketConnection`. Owned by `HTTPServer`; loop-thread only.
final class WebSocketUpgrader {
    enum Decision {
        /// Answer this (400, 426, or the router's rejection) and close.
        case reject(HTTPResponse)
        /// Take the socket: `open` adopts it, and frees `slot` when the WebSocket closes.
        case accept(open: (_ tcp: UnsafeMutablePointer<uv_tcp_t>, _ leftover: [UInt8], _ slot: ConnectionSlot) -> Void)
    }

    private let loop: EventLoop
    private let route: @Sendable (HTTPRequest) -> WebSocketRoute
    private let configuration: WebSocketConfiguration
    /// One read buffer for all of this server's connections: they share its loop thread.
    private let readBuffer = ReadBuffer()
    /// Open connections, so the server's `stop()` can end them.
    private var connections: [ObjectIdentifier: WebSocketConnection] = [:]

    init(loop: EventLoop, configuration: WebSocketConfiguration, route: @escaping @Sendable (HTTPRequest) -> WebSocketRoute) {
        self.loop = loop
        self.configuration = configuration
        self.route = route
    }

    /// Whether `request` is this upgrader's business (a WebSocket handshake, valid or not).
    func wants(_ request: HTTPRequest) -> Bool { WebSocketHandshake.isAttempt(request) }

    func decide(_ request: HTTPRequest) -> Decision {
        let accept: String
        switch WebSocketHandshake.validate(request) {
        case .failure(let refusal): return .reject(refusal.response)
        case .success(let value): accept = value
        }
        switch route(request) {
        case .reject(let response):
            return .reject(response)
        case .accept(let handler):
            return .accept { [self] tcp, leftover, slot in
                let connection = WebSocketConnection(tcp: tcp, loop: loop, role: .server, request: request,
                                                     configuration: configuration, handler: handler, readBuffer: readBuffer)
                connections[ObjectIdentifier(connection)] = connection
                connection.onTerminate = { [weak self] closed in
                    self?.connections[ObjectIdentifier(closed)] = nil
                    slot.free()
                }
                connection.start(greeting: WebSocketHandshake.switchingProtocols(accept: accept), leftover: leftover)
            }
        }
    }

    /// Ends every open connection now with 1001 (best effort close frame, no handshake).
    func closeAll() {
        for connection in Array(connections.values) {
            connection.abort(code: WebSocketCloseCode.goingAway, reason: "server stopping")
        }
        connections = [:]
    }
}
