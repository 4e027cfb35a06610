import CLibUV
import HostNet

/// One terminated connection: TLS client ⇄ `TLSEngine` ⇄ plaintext backend. Loop-thread only.
/// Each uv handle's `data` holds a retain on the relay, released in its close callback, so the
/// relay lives until both sockets are closed.
final class TLSRelay {
    private unowned let listener: TerminatorListener
    private let client: UnsafeMutablePointer<uv_tcp_t>
    private let backend: UnsafeMutablePointer<uv_tcp_t>
    private let engine: TLSEngine
    private var backendConnected = false
    /// Plaintext the client sent before the backend connection was up.
    private var pending: [UInt8] = []
    private var plaintext: [UInt8] = []
    private var closing = false

    init(listener: TerminatorListener, client: UnsafeMutablePointer<uv_tcp_t>, engine: TLSEngine) {
        self.listener = listener
        self.client = client
        self.engine = engine
        backend = .allocate(capacity: 1)
        uv_tcp_init(listener.loop.uv, backend)
        client.pointee.data = Unmanaged.passRetained(self).toOpaque()
        backend.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    func begin() {
        uv_tcp_nodelay(client, 1)
        uv_read_start(terminatorStream(client), Self.allocate) { stream, count, _ in
            Unmanaged<TLSRelay>.fromOpaque(stream!.pointee.data).takeUnretainedValue().clientRead(count)
        }
        var address = sockaddr_in()
        uv_ip4_addr("127.0.0.1", Int32(listener.backendPort), &address)
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = withUnsafePointer(to: &address) {
            uv_tcp_connect(request, backend, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self)) { request, status in
                guard let request else { return }
                let relay = Unmanaged<TLSRelay>.fromOpaque(request.pointee.data).takeRetainedValue()
                request.deallocate()
                relay.backendConnected(status)
            }
        }
        if status < 0 {
            Unmanaged<TLSRelay>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            closeBoth()
        }
    }

    private static let allocate: uv_alloc_cb = { handle, _, buffer in
        let relay = Unmanaged<TLSRelay>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
        buffer?.pointee = uv_buf_init(relay.listener.readBuffer.assumingMemoryBound(to: CChar.self), UInt32(relay.listener.readBufferSize))
    }

    private func backendConnected(_ status: Int32) {
        guard !closing else { return }
        guard status == 0 else { return closeBoth() }
        backendConnected = true
        uv_tcp_nodelay(backend, 1)
        pending.withUnsafeBytes { terminatorWrite(terminatorStream(backend), $0) }
        pending = []
        uv_read_start(terminatorStream(backend), Self.allocate) { stream, count, _ in
            Unmanaged<TLSRelay>.fromOpaque(stream!.pointee.data).takeUnretainedValue().backendRead(count)
        }
    }

    private func clientRead(_ count: Int) {
        guard !closing else { return }
        guard count >= 0 else {
            if !engine.isHandshakeComplete { listener.noteFailure("the client closed during the handshake") }
            return closeBoth()
        }
        let wasComplete = engine.isHandshakeComplete
        plaintext.removeAll(keepingCapacity: true)
        do {
            try engine.receive(UnsafeRawBufferPointer(start: listener.readBuffer, count: count), into: &plaintext)
        } catch {
            if !wasComplete { listener.noteFailure(error.message) }
            return closeBoth()
        }
        flushToClient()
        if !wasComplete, engine.isHandshakeComplete { listener.noteCompleted() }
        if backendConnected {
            plaintext.withUnsafeBytes { terminatorWrite(terminatorStream(backend), $0) }
        } else {
            pending += plaintext
        }
        if engine.peerClosed { closeBoth() }
    }

    private func backendRead(_ count: Int) {
        guard !closing else { return }
        guard count >= 0 else {
            // The backend ended (or dropped): close_notify, then FIN once everything is out.
            engine.close()
            flushToClient()
            return closeBoth(shutdownClientFirst: true)
        }
        guard engine.isHandshakeComplete else { return }   // nothing to relay to yet
        do {
            try engine.send(UnsafeRawBufferPointer(start: listener.readBuffer, count: count))
        } catch {
            return closeBoth()
        }
        flushToClient()
    }

    private func flushToClient() {
        let bytes = engine.takeOutgoing()
        bytes.withUnsafeBytes { terminatorWrite(terminatorStream(client), $0) }
    }

    /// Closes both sockets. With `shutdownClientFirst`, the client's queued writes (the last
    /// records and close_notify) are flushed before its socket closes.
    func closeBoth(shutdownClientFirst: Bool = false) {
        guard !closing else { return }
        closing = true
        listener.relays[ObjectIdentifier(self)] = nil
        Self.close(backend)
        guard shutdownClientFirst else { return Self.close(client) }
        uv_read_stop(terminatorStream(client))
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        request.pointee.data = UnsafeMutableRawPointer(client)
        if uv_shutdown(request, terminatorStream(client), { request, _ in
            guard let request else { return }
            let client = request.pointee.data.assumingMemoryBound(to: uv_tcp_t.self)
            request.deallocate()
            TLSRelay.close(client)
        }) < 0 {
            request.deallocate()
            Self.close(client)
        }
    }

    private static func close(_ tcp: UnsafeMutablePointer<uv_tcp_t>) {
        guard uv_is_closing(terminatorHandle(tcp)) == 0 else { return }
        uv_close(terminatorHandle(tcp)) { handle in
            guard let handle else { return }
            if let data = handle.pointee.data { Unmanaged<TLSRelay>.fromOpaque(data).release() }
            handle.deallocate()
        }
    }
}
