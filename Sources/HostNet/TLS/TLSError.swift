import COpenSSL

/// Why a TLS connection could not be set up or went wrong. `description` names the reason and,
/// where there is one, what to do about it.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The context could not be built: unreadable CA, certificate or key file, key mismatch.
        case configuration
        /// The peer's certificate was refused (unknown CA, expired, wrong host name, ...).
        case verification
        /// The handshake failed for another reason (protocol version, alert from the peer, ...).
        case handshake
        /// A broken record or alert after the handshake.
        case connection
    }

    public let kind: Kind
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// OpenSSL's error queue, oldest first, as one line; empties the queue (it is per thread, and
    /// a stale entry would be blamed on the next connection handled on this thread).
    static func drainErrorQueue() -> String {
        var reasons: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while case let code = ERR_get_error(), code != 0 {
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "no reason given by OpenSSL" : reasons.joined(separator: "; ")
    }

    /// A refused certificate, from `SSL_get_verify_result`, with the fix for the usual causes.
    static func verification(code: Int, host: String) -> TLSError {
        let reason = String(cString: X509_verify_cert_error_string(code))
        let hint: String
        switch Int32(code) {
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
             X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            hint = " (pass the CA with ca_file)"
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            hint = " (the certificate does not name \(host); connect by a name it lists)"
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
            hint = " (check the server's certificate dates and this machine's clock)"
        default:
            hint = ""
        }
        return TLSError(kind: .verification, message: "certificate verify failed: \(reason)\(hint)")
    }
}
