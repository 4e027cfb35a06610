/// The close handshake of one WebSocket (RFC 6455 §7) as a value: `WebSocketConnection` feeds it
/// events (a close asked for, a close frame received, a failure, a failed write, the socket gone,
/// a server stop) and performs the actions it returns, in order. No I/O, no timers, no loop here,
/// so every transition is tested without a socket (HostNetTests/WebSocketCloseStateMachineTests).
///
/// The code and reason it holds are what the connection's owner is told in `onClose`: the peer's
/// or ours as the handshake went, 1006 "connection lost" when the socket ended while still open.
struct WebSocketCloseStateMachine {
    enum State: Equatable {
        case open
        case closeSent   // our close frame is out; waiting for the peer's
        case draining    // the close handshake is over (or failed): write side shut, input discarded
        case closed      // TCP handle closing; onClose delivered
    }

    /// What the connection does, in the order given. A close frame that cannot be written ends
    /// the plan there (the failed write has already scheduled the socket's end).
    enum Action: Equatable {
        /// A close frame through the normal write path; `code` nil sends an empty payload.
        case sendClose(code: UInt16?, reason: String)
        /// A close frame written if the socket takes it at once (server stop: no waiting).
        case sendCloseBestEffort(code: UInt16, reason: String)
        case stopPinging
        /// Arm the close deadline: at `closeTimeoutMilliseconds` the socket ends regardless.
        case startDeadline
        /// Shut the write side once queued frames are out (TLS close_notify first) and arm the
        /// deadline; TCP closes when the flush is done if `closeWhenFlushed`, else at the peer's EOF.
        case shutdownWriteSide(closeWhenFlushed: Bool)
        /// Stop timers and reading, tell the registry, close the TCP handle.
        case closeSocket
        /// Close the socket on the next loop turn (never inside a caller's `send` or `close`).
        case closeSocketLater
        /// Tell the handler (`onClose`) how the connection ended.
        case report(code: UInt16, reason: String)
    }

    private(set) var state = State.open
    /// What `report` will carry.
    private(set) var code = WebSocketCloseCode.abnormal
    private(set) var reason = "connection lost"
    /// A server closes TCP once both close frames are out (RFC 6455 §7.1.1); a client waits for
    /// the server to do so.
    private let closesFirst: Bool

    init(role: WebSocketConnection.Role) {
        closesFirst = role == .server
    }

    /// Messages are delivered, pings answered and data sent only while open.
    var isOpen: Bool { state == .open }
    /// Input is decoded until the handshake is over (the peer's close frame may still come).
    var isReading: Bool { state == .open || state == .closeSent }

    /// We start the handshake (the owner's `close`, the idle timeout). `code` must be valid on
    /// the wire; anything else is sent as 1000.
    mutating func closeRequested(code: UInt16, reason: String) -> [Action] {
        guard state == .open else { return [] }
        let code = WebSocketCloseCode.isValidOnWire(code) ? code : WebSocketCloseCode.normal
        state = .closeSent
        record(code, reason)
        return [.stopPinging, .sendClose(code: code, reason: reason), .startDeadline]
    }

    /// The peer's close frame: echo its code (none if it sent none) unless ours is out, then drain.
    mutating func closeFrameReceived(code: UInt16, reason: String) -> [Action] {
        switch state {
        case .open:
            record(code, reason)
            let echo = code == WebSocketCloseCode.noStatus ? nil : code
            return [.sendClose(code: echo, reason: "")] + drain(closeWhenFlushed: closesFirst)
        case .closeSent:
            return drain(closeWhenFlushed: closesFirst)
        case .draining, .closed:
            return []
        }
    }

    /// The connection fails (protocol error, slow peer, a message too large to send): our close
    /// frame with `code` unless one is out, then drain without waiting for the peer's.
    mutating func failed(code: UInt16, reason: String) -> [Action] {
        guard isReading else { return [] }
        let sendFirst = state == .open
        record(code, reason)
        let actions = drain(closeWhenFlushed: false)
        return sendFirst ? [.sendClose(code: code, reason: reason)] + actions : actions
    }

    /// libuv or TLS refused a write: nothing more goes out; the socket ends on the next turn.
    mutating func writeFailed() -> [Action] {
        if isReading { state = .draining }
        return [.closeSocketLater]
    }

    /// The socket is gone or given up on: EOF or a read error, a TLS failure, the deadline, the
    /// flushed shutdown. Ending while still open is 1006 "connection lost".
    mutating func socketEnded() -> [Action] {
        guard state != .closed else { return [] }
        if state == .open { record(WebSocketCloseCode.abnormal, "connection lost") }
        state = .closed
        return [.closeSocket, .report(code: code, reason: reason)]
    }

    /// Server stop: a best-effort close frame if still open, then the socket ends at once. The
    /// handler still hears 1006 "connection lost" when no handshake happened (the peer did not
    /// answer: the connection did not close cleanly).
    mutating func aborted(code: UInt16, reason: String) -> [Action] {
        guard state != .closed else { return [] }
        let notice: [Action] = state == .open ? [.sendCloseBestEffort(code: code, reason: reason)] : []
        return notice + socketEnded()
    }

    private mutating func drain(closeWhenFlushed: Bool) -> [Action] {
        state = .draining
        return [.stopPinging, .shutdownWriteSide(closeWhenFlushed: closeWhenFlushed)]
    }

    private mutating func record(_ code: UInt16, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}
