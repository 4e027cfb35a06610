/// Why a request produced no response.
public struct ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request's timeout elapsed.
        case timeout
        /// Nobody to talk to: connection refused, host unknown.
        case unavailable
        /// `cancel(_:)` or client shutdown.
        case cancelled
        /// Anything else (TLS failure, reset, protocol error); `message` has curl's explanation.
        case other
    }

    public let kind: Kind
    public let message: String
    /// curl's CURLcode, when curl reported the failure.
    public let curlCode: Int?

    public init(kind: Kind, message: String, curlCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.curlCode = curlCode
    }

    public var description: String { "\(kind): \(message)" }
}

public typealias ClientResult = Result<ClientResponse, ClientError>
