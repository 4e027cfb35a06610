import PluginABI

/// The errors a plugin's Swift code throws. The SDK turns each into an ABI status code plus the
/// message, so no Swift error ever crosses the C boundary. Messages should say what to do.
public enum PluginError: Error, Sendable, Equatable {
    /// Bad input: arguments that do not match the schema, malformed settings (AH_ERR_INVALID_ARGUMENT).
    case invalidArgument(String)
    /// Something the plugin looked for does not exist (AH_ERR_NOT_FOUND).
    case notFound(String)
    /// A backend or service could not be reached (AH_ERR_UNAVAILABLE).
    case unavailable(String)
    /// The operation did not finish in time (AH_ERR_TIMEOUT).
    case timeout(String)
    /// The host refused: not enabled or granted for this tenant (AH_ERR_NOT_PERMITTED).
    case notPermitted(String)
    /// A per-turn or per-tenant limit was reached (AH_ERR_LIMIT_EXCEEDED).
    case limitExceeded(String)
    /// The work was cancelled (AH_ERR_CANCELLED).
    case cancelled
    /// Anything else (AH_ERR_FAILED).
    case failed(String)

    public var status: ah_status_t {
        switch self {
        case .invalidArgument: return AH_ERR_INVALID_ARGUMENT
        case .notFound: return AH_ERR_NOT_FOUND
        case .unavailable: return AH_ERR_UNAVAILABLE
        case .timeout: return AH_ERR_TIMEOUT
        case .notPermitted: return AH_ERR_NOT_PERMITTED
        case .limitExceeded: return AH_ERR_LIMIT_EXCEEDED
        case .cancelled: return AH_ERR_CANCELLED
        case .failed: return AH_ERR_FAILED
        }
    }

    public var message: String {
        switch self {
        case .invalidArgument(let m), .notFound(let m), .unavailable(let m), .timeout(let m),
             .notPermitted(let m), .limitExceeded(let m), .failed(let m):
            return m
        case .cancelled: return "cancelled"
        }
    }

    /// Maps an ABI status and message back to an error (for results the host reports).
    public init(status: ah_status_t, message: String) {
        switch status {
        case AH_ERR_INVALID_ARGUMENT: self = .invalidArgument(message)
        case AH_ERR_NOT_FOUND: self = .notFound(message)
        case AH_ERR_UNAVAILABLE: self = .unavailable(message)
        case AH_ERR_TIMEOUT: self = .timeout(message)
        case AH_ERR_NOT_PERMITTED: self = .notPermitted(message)
        case AH_ERR_LIMIT_EXCEEDED: self = .limitExceeded(message)
        case AH_ERR_CANCELLED: self = .cancelled
        default: self = .failed(message)
        }
    }

    /// Status and message for any thrown error: PluginError keeps its code; cancellation maps to
    /// AH_ERR_CANCELLED; a DecodingError becomes a readable invalid-argument line.
    static func statusAndMessage(for error: any Error) -> (ah_status_t, String) {
        if let error = error as? PluginError { return (error.status, error.message) }
        if error is CancellationError { return (AH_ERR_CANCELLED, "cancelled") }
        if error is DecodingError { return (AH_ERR_INVALID_ARGUMENT, describe(error)) }
        if let error = error as? JSONValue.SyntaxError { return (AH_ERR_INVALID_ARGUMENT, "not valid JSON: \(error.message) at byte \(error.offset)") }
        return (AH_ERR_FAILED, String(describing: error))
    }

    /// A one-line description of a decoding error that names the offending field.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the value" : "'" + keys.joined(separator: ".") + "'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "missing field '\(key.stringValue)'\(parent)"
        case .typeMismatch(let type, let context):
            return "\(path(context)) should be \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is null but should be \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON (\(context.debugDescription))"
                : "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}

extension PluginError: CustomStringConvertible {
    public var description: String { message }
}

import Foundation
