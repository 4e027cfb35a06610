import COpenSSL
import Synchronization

/// How a client verifies the server. Verification is always on: there is no switch to turn it off.
public struct TLSClientConfiguration: Sendable, Hashable {
    /// PEM file with the CA certificate(s) to trust instead of the system store (a private CA,
    /// a test CA). nil trusts the system store (Debian: /etc/ssl/certs).
    public var caFile: String?
    /// The name the certificate must carry (and the SNI sent) when it differs from the URL's host.
    public var serverName: String?

    public init(caFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.serverName = serverName
    }
}

/// One configured `SSL_CTX`. This object owns one reference to it (freed in deinit); each
/// `SSL` made from it takes its own reference, so a context may go away before its connections.
/// Configured once in `init`, then only used to create connections, which OpenSSL allows from
/// any thread.
public final class TLSContext: @unchecked Sendable {
    // @unchecked: `context` is immutable after init; OpenSSL locks its reference count.
    let context: OpaquePointer
    public let isServer: Bool

    /// Client contexts by configuration: loading a CA bundle parses every certificate in it, which
    /// is worth doing once per process, not once per connection.
    private static let clients = Mutex<[String?: TLSContext]>([:])

    /// [thread-safe] The client context trusting `caFile` (or the system store when nil), shared.
    public static func client(caFile: String?) throws(TLSError) -> TLSContext {
        if let cached = clients.withLock({ $0[caFile] }) { return cached }
        let made = try TLSContext(clientTrusting: caFile)
        return clients.withLock { cache in
            if let raced = cache[caFile] { return raced }
            cache[caFile] = made
            return made
        }
    }

    private init(clientTrusting caFile: String?) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError(kind: .configuration, message: "SSL_CTX_new failed: \(TLSError.drainErrorQueue())")
        }
        self.context = context
        isServer = false
        try Self.requireModernProtocol(context)
        // SSL_VERIFY_PEER on a client: the handshake fails when the chain or the name does not verify.
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw TLSError(kind: .configuration, message: "cannot load CA file \(caFile): \(TLSError.drainErrorQueue()) (ca_file must be a readable PEM file)")
            }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw TLSError(kind: .configuration, message: "cannot load the system CA store: \(TLSError.drainErrorQueue()) (install ca-certificates or pass ca_file)")
        }
    }

    /// [thread-safe] A server context presenting `certificateFile` (PEM, leaf first, then any
    /// intermediates) with `privateKeyFile` (PEM). Not cached: servers make one at start.
    public init(serverCertificateFile certificateFile: String, privateKeyFile: String) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError(kind: .configuration, message: "SSL_CTX_new failed: \(TLSError.drainErrorQueue())")
        }
        self.context = context
        isServer = true
        try Self.requireModernProtocol(context)
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
            throw TLSError(kind: .configuration, message: "cannot load certificate \(certificateFile): \(TLSError.drainErrorQueue())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError(kind: .configuration, message: "cannot load private key \(privateKeyFile): \(TLSError.drainErrorQueue())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError(kind: .configuration, message: "\(privateKeyFile) is not the key of \(certificateFile)")
        }
    }

    deinit { SSL_CTX_free(context) }

    /// TLS 1.2 at least. `SSL_CTX_set_min_proto_version` is a macro over `SSL_CTX_ctrl`.
    private static func requireModernProtocol(_ context: OpaquePointer) throws(TLSError) {
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw TLSError(kind: .configuration, message: "cannot require TLS 1.2: \(TLSError.drainErrorQueue())")
        }
    }
}
