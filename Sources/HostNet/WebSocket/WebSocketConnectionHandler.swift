/// One accepted WebSocket served by an object of its own: what the connection drives (its
/// session, its call, what waits for them) lives in the object's stored properties, so nothing is
/// shared between connections and nothing is looked up by socket. `WebSocketHandler(serving:)`
/// turns it into the callbacks a connection calls.
///
/// The same contract as `WebSocketHandler`: every method runs on the connection's loop thread,
/// must not block, and is never called re-entrantly from `send`/`close`; `closed` comes exactly
/// once and nothing after it. `closed` can come without `opened` when the handshake's answer
/// could not be written. The connection holds the handler until it is gone; a handler keeps the
/// socket only through what it drives (a call's transport), and lets go of that in `closed`.
public protocol WebSocketConnectionHandler: AnyObject, Sendable {
    /// The handshake finished; the connection can send.
    func opened(_ socket: WebSocketConnection)
    /// A whole text message (fragments reassembled, UTF-8 checked).
    func received(text: String, on socket: WebSocketConnection)
    /// A whole binary message.
    func received(binary: [UInt8], on socket: WebSocketConnection)
    /// The connection is over, with the code and reason that ended it (`WebSocketHandler.onClose`).
    func closed(_ socket: WebSocketConnection, code: UInt16, reason: String)
}

extension WebSocketHandler {
    /// The callbacks that forward to `connection`'s methods (the connection keeps it alive).
    public init(serving connection: some WebSocketConnectionHandler) {
        self.init(onOpen: { connection.opened($0) },
                  onText: { connection.received(text: $1, on: $0) },
                  onBinary: { connection.received(binary: $1, on: $0) },
                  onClose: { connection.closed($0, code: $1, reason: $2) })
    }
}
