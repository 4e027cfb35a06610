/// Why a model request produced no usable answer. `message` is for operators and the `error`
/// event: it names the provider and the cause, never the key.
public struct ModelFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case timeout
        case rateLimited = "rate_limited"
        case serverError = "server_error"
        /// 4xx other than 429: a bad key, an unknown model, a request the server refuses.
        case rejected
        case malformed
        /// Refused, reset or dropped connection; TLS failures.
        case connection
        case cancelled
        /// Not asked: the provider failed repeatedly and is being rested (the host's circuit breaker).
        case circuitOpen = "circuit_open"
    }

    public let reason: Reason
    public let message: String
    /// Requests made, retries included.
    public let attempts: Int

    public init(reason: Reason, message: String, attempts: Int) {
        self.reason = reason
        self.message = message
        self.attempts = attempts
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
