import COpenSSL
import Glibc

/// One TLS connection as a pure byte transformer on two memory BIOs: ciphertext from the peer
/// goes in with `receive`, plaintext comes out; plaintext goes in with `send`, ciphertext for
/// the peer waits in `outgoing` until the caller writes it to its socket. No I/O of its own, so
/// it runs on any transport (our libuv TCP streams) and never blocks.
///
/// Ownership: `ssl` is ours (freed in deinit). `SSL_set_bio` hands both memory BIOs to it, so
/// `SSL_free` frees them; `input`/`output` are borrowed pointers valid as long as `ssl`.
/// Not thread-safe: one connection, one thread (its loop).
public final class TLSEngine {
    public enum Role: Sendable { case client, server }

    private let ssl: OpaquePointer
    /// The peer's ciphertext, read by OpenSSL (we write into it).
    private let input: OpaquePointer
    /// Ciphertext OpenSSL produced for the peer (we read it out).
    private let output: OpaquePointer
    private let role: Role
    /// The name verified for a client (for error messages).
    private let verifiedName: String
    public private(set) var isHandshakeComplete = false
    /// The peer sent close_notify.
    public private(set) var peerClosed = false
    private var plainScratch = [UInt8](repeating: 0, count: 16 * 1024)

    /// A client connection to `host` (checked against the certificate's names; sent as SNI when
    /// it is a DNS name), or a server connection when `context` is a server context.
    public init(context: TLSContext, host: String = "") throws(TLSError) {
        guard let ssl = SSL_new(context.context) else {
            throw TLSError(kind: .configuration, message: "SSL_new failed: \(TLSError.drainErrorQueue())")
        }
        guard let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError(kind: .configuration, message: "BIO_new failed: out of memory")
        }
        SSL_set_bio(ssl, input, output)   // ssl owns both BIOs from here
        self.ssl = ssl
        self.input = input
        self.output = output
        role = context.isServer ? .server : .client
        verifiedName = host
        if role == .server {
            SSL_set_accept_state(ssl)
        } else {
            SSL_set_connect_state(ssl)
            try expectName(host)
        }
    }

    deinit { SSL_free(ssl) }

    /// Hostname (or IP) verification plus SNI, for a client.
    private func expectName(_ host: String) throws(TLSError) {
        guard !host.isEmpty else {
            throw TLSError(kind: .configuration, message: "a TLS client needs the server's name to verify its certificate")
        }
        if Self.isIPAddress(host) {
            // RFC 6066 forbids IP literals in SNI; an IP is matched against the certificate's IP SANs.
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else {
                throw TLSError(kind: .configuration, message: "cannot verify IP address \(host): \(TLSError.drainErrorQueue())")
            }
        } else {
            guard SSL_set1_host(ssl, host) == 1 else {
                throw TLSError(kind: .configuration, message: "cannot verify host name \(host): \(TLSError.drainErrorQueue())")
            }
            // SSL_set_tlsext_host_name is a macro over SSL_ctrl.
            let sent = host.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            guard sent == 1 else {
                throw TLSError(kind: .configuration, message: "cannot send SNI \(host): \(TLSError.drainErrorQueue())")
            }
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    // MARK: driving

    /// Starts (client: writes the ClientHello into `outgoing`) or continues the handshake.
    public func handshake() throws(TLSError) {
        guard !isHandshakeComplete else { return }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isHandshakeComplete = true
            return
        }
        try check(result, during: "handshake")
    }

    /// Takes the peer's ciphertext; appends the plaintext it completes to `plaintext`. Advances
    /// the handshake first; afterwards `outgoing` may hold handshake replies to send.
    public func receive(_ ciphertext: UnsafeRawBufferPointer, into plaintext: inout [UInt8]) throws(TLSError) {
        if ciphertext.count > 0 {
            // A memory BIO grows as needed, so the write takes everything.
            _ = BIO_write(input, ciphertext.baseAddress, Int32(ciphertext.count))
        }
        if !isHandshakeComplete {
            try handshake()
            guard isHandshakeComplete else { return }
        }
        while !peerClosed {
            ERR_clear_error()
            let count = plainScratch.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                plaintext.append(contentsOf: plainScratch[0..<Int(count)])
                continue
            }
            if SSL_get_error(ssl, count) == SSL_ERROR_ZERO_RETURN {
                peerClosed = true
                return
            }
            try check(count, during: "read")
            return   // wants more ciphertext
        }
    }

    /// Encrypts application data into `outgoing`. Only after the handshake.
    public func send(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        guard plaintext.count > 0 else { return }
        precondition(isHandshakeComplete, "TLSEngine.send before the handshake completed")
        ERR_clear_error()
        // With a memory BIO for output SSL_write never waits: it writes every record at once.
        let written = SSL_write(ssl, plaintext.baseAddress, Int32(plaintext.count))
        if written <= 0 { try check(written, during: "write") }
    }

    /// Queues our close_notify alert in `outgoing` (the polite end; the peer may not wait for it).
    public func close() {
        guard isHandshakeComplete else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    // MARK: ciphertext for the peer

    /// Bytes waiting in `outgoing`.
    public var outgoingCount: Int { Int(BIO_ctrl_pending(output)) }

    /// Moves up to `capacity` waiting ciphertext bytes into `buffer`; returns how many.
    public func readOutgoing(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        let count = BIO_read(output, buffer, Int32(min(capacity, Int(Int32.max))))
        return max(Int(count), 0)
    }

    /// All waiting ciphertext as an array (tests, small writes).
    public func takeOutgoing() -> [UInt8] {
        let count = outgoingCount
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = readOutgoing(into: buffer.baseAddress!, capacity: count)
        }
    }

    // MARK: errors

    /// Returns for "needs more input"; throws a typed error for everything else.
    private func check(_ result: Int32, during step: String) throws(TLSError) {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return
        case SSL_ERROR_ZERO_RETURN:
            peerClosed = true
            return
        default:
            let verify = SSL_get_verify_result(ssl)
            if role == .client, verify != X509_V_OK {
                ERR_clear_error()
                throw TLSError.verification(code: verify, host: verifiedName)
            }
            let reasons = TLSError.drainErrorQueue()
            let kind: TLSError.Kind = isHandshakeComplete ? .connection : .handshake
            let what = code == SSL_ERROR_SYSCALL ? "unexpected end of the TLS stream" : reasons
            throw TLSError(kind: kind, message: "TLS \(step) failed: \(what)")
        }
    }
}
