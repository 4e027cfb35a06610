import CLibUV
import Glibc
import HostNet
import Synchronization

/// A loopback TLS front for a plaintext test server: accepts TLS on its own port (server mode of
/// `TLSEngine`, certificate and key from files, e.g. `TestCertificates`) and relays the decrypted
/// bytes to `127.0.0.1:<backendPort>` and back. Protocol-agnostic (HTTP, SSE, WebSocket), so any
/// client's TLS can be tested against a local server: our WebSocket client, libcurl, ...
///
/// Runs its own event loop thread. A client whose handshake fails (e.g. it refused our
/// certificate) is counted in `failedHandshakes` with the reason in `lastFailure`.
public final class TLSTerminator: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    private let loop: EventLoop
    private let listener: TerminatorListener
    /// The port the TLS side listens on.
    public let port: Int

    /// Starts listening on 127.0.0.1 (ephemeral port) and relaying to `backendPort`.
    public init(certificateFile: String, privateKeyFile: String, backendPort: Int) throws(Failure) {
        let context: TLSContext
        do {
            context = try TLSContext(serverCertificateFile: certificateFile, privateKeyFile: privateKeyFile)
        } catch {
            throw Failure(description: error.message)
        }
        signal(SIGPIPE, SIG_IGN)   // a client that resets must not kill the test process
        loop = EventLoop(name: "tls-terminator")
        loop.start()
        let listener = TerminatorListener(loop: loop, context: context, backendPort: backendPort)
        self.listener = listener
        let bound = loop.submitAndWait { listener.listen() } ?? .failure(Failure(description: "loop not running"))
        switch bound {
        case .success(let port): self.port = port
        case .failure(let failure):
            loop.stop()
            throw failure
        }
    }

    /// Convenience: the terminator for `certificates`' server certificate.
    public convenience init(certificates: TestCertificates, backendPort: Int) throws(Failure) {
        try self.init(certificateFile: certificates.certificateFile, privateKeyFile: certificates.privateKeyFile, backendPort: backendPort)
    }

    /// TLS handshakes that failed (the client refused us, or spoke no TLS).
    public var failedHandshakes: Int { listener.stats.withLock { $0.failed } }
    /// Handshakes that completed.
    public var completedHandshakes: Int { listener.stats.withLock { $0.completed } }
    /// OpenSSL's reason for the last failed handshake (e.g. "... alert unknown ca").
    public var lastFailure: String? { listener.stats.withLock { $0.lastFailure } }

    /// Closes the listener and every relayed connection, then the loop.
    public func stop() {
        _ = loop.submitAndWait { [listener] in listener.close() }
        loop.stop()
    }

    deinit { stop() }
}

/// The listening socket and the open relays; loop-thread only except `stats`.
final class TerminatorListener: @unchecked Sendable {
    // @unchecked: everything but `stats` is touched only on the loop thread.
    struct Stats {
        var completed = 0
        var failed = 0
        var lastFailure: String?
    }

    let loop: EventLoop
    let context: TLSContext
    let backendPort: Int
    let stats = Mutex(Stats())
    /// One buffer for every read: each read is consumed inside its callback.
    let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    let readBufferSize = 64 * 1024
    private var tcp: UnsafeMutablePointer<uv_tcp_t>?
    var relays: [ObjectIdentifier: TLSRelay] = [:]

    init(loop: EventLoop, context: TLSContext, backendPort: Int) {
        self.loop = loop
        self.context = context
        self.backendPort = backendPort
    }

    deinit { readBuffer.deallocate() }

    func listen() -> Result<Int, TLSTerminator.Failure> {
        let tcp = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uv, tcp)
        tcp.pointee.data = Unmanaged.passUnretained(self).toOpaque()   // the terminator keeps us alive until close
        self.tcp = tcp
        var address = sockaddr_in()
        uv_ip4_addr("127.0.0.1", 0, &address)
        var status = withUnsafePointer(to: &address) { uv_tcp_bind(tcp, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), 0) }
        if status == 0 {
            status = uv_listen(terminatorStream(tcp), 128) { server, status in
                guard let server, status == 0 else { return }
                Unmanaged<TerminatorListener>.fromOpaque(server.pointee.data).takeUnretainedValue().accept()
            }
        }
        guard status == 0 else {
            close()
            return .failure(TLSTerminator.Failure(description: "cannot listen on 127.0.0.1: \(UVError(status))"))
        }
        var bound = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { uv_tcp_getsockname(tcp, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length) }
        let port = withUnsafeBytes(of: &bound) { Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self))) }
        return .success(port)
    }

    func close() {
        if let tcp {
            self.tcp = nil
            uv_close(terminatorHandle(tcp)) { $0?.deallocate() }
        }
        for relay in Array(relays.values) { relay.closeBoth() }
    }

    private func accept() {
        guard let tcp else { return }
        let client = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uv, client)
        guard uv_accept(terminatorStream(tcp), terminatorStream(client)) == 0 else {
            uv_close(terminatorHandle(client)) { $0?.deallocate() }
            return
        }
        do {
            let engine = try TLSEngine(context: context)
            let relay = TLSRelay(listener: self, client: client, engine: engine)
            relays[ObjectIdentifier(relay)] = relay
            relay.begin()
        } catch {
            noteFailure(error.message)
            uv_close(terminatorHandle(client)) { $0?.deallocate() }
        }
    }

    func noteFailure(_ reason: String) {
        stats.withLock {
            $0.failed += 1
            $0.lastFailure = reason
        }
    }

    func noteCompleted() { stats.withLock { $0.completed += 1 } }
}

@inline(__always)
func terminatorStream<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_stream_t.self)
}

@inline(__always)
func terminatorHandle<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_handle_t.self)
}

/// Writes a heap copy of `bytes` (freed by the write callback, since libuv keeps the buffer).
func terminatorWrite(_ target: UnsafeMutablePointer<uv_stream_t>, _ bytes: UnsafeRawBufferPointer) {
    guard bytes.count > 0 else { return }
    let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 16)
    memory.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
    request.pointee.data = memory
    var buffer = uv_buf_init(memory.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
    if uv_write(request, target, &buffer, 1, { request, _ in
        request?.pointee.data.deallocate()
        request?.deallocate()
    }) < 0 {
        memory.deallocate()
        request.deallocate()
    }
}
