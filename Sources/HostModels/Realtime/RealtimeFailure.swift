/// Why a Realtime session cannot go on. Reported once; the caller falls back to the cascaded
/// offline pipeline.
public struct RealtimeFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Bad URL, refused or unreachable TCP, DNS failure.
        case connect
        /// TLS refused the server (see the message) or failed.
        case tls
        /// The server answered the upgrade with an HTTP error (401 bad key, 429, 5xx).
        case rejected
        /// Connect + handshake took longer than `connectTimeoutMilliseconds`.
        case handshakeTimeout
        /// The server went quiet while we waited on it (`stallTimeoutMilliseconds`).
        case hang
        /// An event that is not a JSON object with a `type`.
        case malformedEvent
        /// The connection ended without our asking (dropped mid-stream, or closed by the server).
        case dropped
    }

    public let kind: Kind
    public let message: String
    /// The HTTP status for `rejected`.
    public var status: Int?

    public init(kind: Kind, message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
    }

    public var description: String { "Realtime unavailable (\(kind)): \(message)" }
}
