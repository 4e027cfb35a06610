import CLibUV
import Glibc

/// One open WebSocket, server or client side, on a libuv TCP handle (through a `TLSEngine` for
/// `wss://`): frame I/O, automatic pong, the close handshake, idle and keep-alive timers, and a
/// cap on what a slow peer can make us queue.
///
/// Loop-confined: its state and callbacks live on `loop`'s thread. `send` and `close` are
/// [thread-safe]: called elsewhere they hop to the loop with `execute`; on the loop thread they
/// act at once. The uv handle retains this object until its close callback.
public final class WebSocketConnection: @unchecked Sendable {
    // @unchecked: mutable state is touched only on the loop thread; public methods hop there.

    enum Role { case server, client }

    /// The upgrade request: on the server side as the client sent it (path, query, headers), on
    /// the client side as this process sent it.
    public let request: HTTPRequest
    public let loop: EventLoop
    private let role: Role
    private let tcp: UnsafeMutablePointer<uv_tcp_t>
    private let readBuffer: ReadBuffer
    private let configuration: WebSocketConfiguration
    private let handler: WebSocketHandler
    private var decoder: WebSocketDecoder
    /// `wss://`: every byte read is decrypted here and every frame encrypted before libuv writes it.
    private let tls: TLSEngine?
    /// Decrypted bytes of one read (reused: the decoder copies what it keeps).
    private var plaintext: [UInt8] = []
    /// The deadline for the close handshake and TCP close.
    private let timer: LoopTimer
    /// Idle timeout while open: pushed back by every read.
    private let idle: LoopDeadline
    private var pingTimer: LoopTimer?
    /// The close handshake: which state we are in, what `onClose` will report, what each event
    /// makes us do (`perform`).
    private var closing: WebSocketCloseStateMachine
    private let peer: String
    /// Frames sent in this loop iteration, written together when its callbacks are done
    /// (`EventLoop.beforeWaiting`): a turn's events go out in one write instead of one each.
    /// Malloc'd; handed to libuv (and freed by its write callback) at `flushOutgoing`.
    private var outgoing: UnsafeMutableRawPointer?
    private var outgoingCount = 0
    private var outgoingCapacity = 0
    private var flushScheduled = false
    /// Set once the socket is closing: frames still batched are dropped, as libuv drops queued writes.
    private var socketClosed = false
    /// The server's registry hook: called once when the connection ends.
    var onTerminate: ((WebSocketConnection) -> Void)?

    /// Takes ownership of a connected `tcp` handle whose handshake is done. Loop thread.
    /// `readBuffer` may be shared by connections of the same loop (`ReadBuffer`).
    init(tcp: UnsafeMutablePointer<uv_tcp_t>, loop: EventLoop, role: Role, request: HTTPRequest,
         configuration: WebSocketConfiguration, handler: WebSocketHandler, readBuffer: ReadBuffer = ReadBuffer(),
         tls: TLSEngine? = nil) {
        self.tcp = tcp
        self.tls = tls
        self.readBuffer = readBuffer
        self.loop = loop
        self.role = role
        self.request = request
        self.configuration = configuration
        self.handler = handler
        closing = WebSocketCloseStateMachine(role: role)
        decoder = WebSocketDecoder(role: role == .server ? .server : .client, maxMessageBytes: configuration.maxMessageBytes)
        timer = LoopTimer(loop: loop)
        idle = LoopDeadline(loop: loop)
        peer = "\(Self.peerAddress(tcp)) \(request.path)"
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()   // released in the close callback
    }

    deinit { free(outgoing) }

    // MARK: public, thread-safe

    /// [thread-safe] Sends one text message (a single frame). Ignored once closing.
    public func send(text: String) {
        onLoop { connection in
            var text = text
            text.withUTF8 { connection.sendData(.text, UnsafeRawBufferPointer($0)) }
        }
    }

    /// [thread-safe] Sends one binary message (a single frame). Ignored once closing.
    public func send(binary: [UInt8]) {
        onLoop { connection in binary.withUnsafeBytes { connection.sendData(.binary, $0) } }
    }

    /// [thread-safe] Starts the close handshake: sends a close frame, then waits (at most
    /// `closeTimeoutMilliseconds`) for the peer's. `code` must be valid on the wire (1000–1003,
    /// 1007–1014, 3000–4999; anything else is sent as 1000); `reason` is cut to fit 123 bytes.
    /// `onClose` follows, with this code and reason.
    public func close(code: UInt16 = WebSocketCloseCode.normal, reason: String = "") {
        onLoop { $0.startClosing(code: code, reason: reason) }
    }

    /// [thread-safe] Drops the TCP connection at once, without a close frame, as a crashed peer
    /// would (the other side sees 1006). For test stand-ins of failing servers.
    public func drop() {
        onLoop { $0.terminate() }
    }

    // MARK: loop thread

    /// Writes `greeting` (the server's 101), starts reading, calls `onOpen`, then decodes `leftover`
    /// (frames that arrived together with the handshake).
    func start(greeting: [UInt8], leftover: [UInt8]) {
        if !greeting.isEmpty, uvWrite(uvStream(tcp), greeting) < 0 {
            return terminate()
        }
        uv_read_start(uvStream(tcp), { handle, _, buffer in
            let connection = Unmanaged<WebSocketConnection>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            buffer?.pointee = uv_buf_init(connection.readBuffer.memory.assumingMemoryBound(to: CChar.self), UInt32(connection.readBuffer.size))
        }, { stream, count, _ in
            Unmanaged<WebSocketConnection>.fromOpaque(stream!.pointee.data).takeUnretainedValue().didRead(count)
        })
        if configuration.idleTimeoutMilliseconds > 0 {
            idle.start(milliseconds: configuration.idleTimeoutMilliseconds) { [unowned self] in
                guard closing.isOpen else { return }
                startClosing(code: WebSocketCloseCode.goingAway, reason: "idle timeout")
            }
        }
        if configuration.pingIntervalMilliseconds > 0 {
            let ping = LoopTimer(loop: loop)
            pingTimer = ping
            let interval = configuration.pingIntervalMilliseconds
            ping.start(after: interval, repeat: interval) { [unowned self] in
                guard closing.isOpen else { return }
                _ = writeFrame(.ping, UnsafeRawBufferPointer(start: nil, count: 0))
            }
        }
        handler.onOpen(self)
        if !leftover.isEmpty, closing.isOpen {
            var leftover = leftover
            leftover.withUnsafeMutableBytes { process(decoder.feed($0)) }
        }
    }

    /// Drops the connection at once (server stop): a best-effort close frame, no handshake.
    func abort(code: UInt16, reason: String) {
        perform(closing.aborted(code: code, reason: reason))
    }

    /// A close frame written only if the socket takes it now (`uv_try_write`): no queue, no wait.
    private func sendCloseBestEffort(code: UInt16, reason: String) {
        guard flushOutgoing() else { return }   // batched frames go first (uv_try_write refuses while they are queued)
        var frame = WebSocketFrame.encode(.close, payload: WebSocketFrame.closePayload(code: code, reason: reason),
                                          maskKey: role == .client ? WebSocketHandshake.randomMask() : nil)
        if let tls {
            frame.withUnsafeBytes { try? tls.send($0) }
            frame = tls.takeOutgoing()
        }
        frame.withUnsafeMutableBytes { raw in
            var buffer = uv_buf_init(raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(raw.count))
            _ = uv_try_write(uvStream(tcp), &buffer, 1)
        }
    }

    private func onLoop(_ work: @escaping @Sendable (WebSocketConnection) -> Void) {
        if loop.inLoopThread {
            work(self)
        } else {
            loop.execute { [self] in work(self) }
        }
    }

    private func didRead(_ count: Int) {
        if count < 0 { return terminate() }   // EOF or error; in .open/.closeSent that is 1006 / our code
        guard count > 0, closing.isReading else { return }
        idle.touch()
        guard let tls else {
            return process(decoder.feed(UnsafeMutableRawBufferPointer(start: readBuffer.memory, count: count)))
        }
        plaintext.removeAll(keepingCapacity: true)
        do {
            try tls.receive(UnsafeRawBufferPointer(start: readBuffer.memory, count: count), into: &plaintext)
        } catch {
            configuration.log("\(peer): \(error.message); dropping the connection")
            return terminate()
        }
        if uvWritePending(uvStream(tcp), tls) < 0 { return terminate() }   // e.g. a TLS 1.3 key update reply
        guard !plaintext.isEmpty else { return }
        plaintext.withUnsafeMutableBytes { process(decoder.feed($0)) }
    }

    private func process(_ events: [WebSocketDecoder.Event]) {
        for event in events {
            guard closing.isReading else { return }
            switch event {
            case .text(let text):
                if closing.isOpen { handler.onText(self, text) }
            case .binary(let bytes):
                if closing.isOpen { handler.onBinary(self, bytes) }
            case .ping(let payload):
                guard closing.isOpen else { continue }
                payload.withUnsafeBytes { _ = writeFrame(.pong, $0) }
                checkQueue()
            case .pong:
                break   // it already counted as traffic
            case .close(let code, let reason):
                perform(closing.closeFrameReceived(code: code, reason: reason))
            case .failure(let code, let reason):
                configuration.log("\(peer): \(reason); closing with \(code)")
                fail(code, reason)
            }
        }
    }

    private func sendData(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer) {
        guard closing.isOpen else { return }
        guard writeFrame(opcode, payload) else { return }
        checkQueue()
    }

    /// A peer that does not read makes libuv queue our writes; past the cap it is cut off.
    private func checkQueue() {
        let queued = uv_stream_get_write_queue_size(uvStream(tcp)) + outgoingCount
        guard closing.isOpen, queued > configuration.maxQueuedBytes else { return }
        configuration.log("\(peer): peer too slow, \(queued) bytes queued (limit \(configuration.maxQueuedBytes)); closing with 1008")
        fail(WebSocketCloseCode.policyViolation, "send queue over \(configuration.maxQueuedBytes) bytes")
    }

    private func startClosing(code: UInt16, reason: String) {
        perform(closing.closeRequested(code: code, reason: reason))
    }

    /// Fails the connection: our close frame with `code` (unless one is out), then drain.
    private func fail(_ code: UInt16, _ reason: String) {
        perform(closing.failed(code: code, reason: reason))
    }

    /// Does what the close state machine decided, in order. A close frame that cannot be written
    /// ends the plan: the failed write has already scheduled the socket's end.
    private func perform(_ actions: [WebSocketCloseStateMachine.Action]) {
        for action in actions {
            switch action {
            case .sendClose(let code, let reason):
                let payload = code.map { WebSocketFrame.closePayload(code: $0, reason: reason) } ?? []
                guard payload.withUnsafeBytes({ writeFrame(.close, $0) }) else { return }
            case .sendCloseBestEffort(let code, let reason):
                sendCloseBestEffort(code: code, reason: reason)
            case .stopPinging:
                stopPinging()
            case .startDeadline:
                timer.start(after: configuration.closeTimeoutMilliseconds) { [unowned self] in terminate() }
            case .shutdownWriteSide(let closeWhenFlushed):
                shutdownWriteSide(closeWhenFlushed: closeWhenFlushed)
            case .closeSocket:
                closeSocket()
            case .closeSocketLater:
                loop.execute { [self] in terminate() }
            case .report(let code, let reason):
                handler.onClose(self, code, reason)
            }
        }
    }

    /// The close handshake is over (or failed): shut the write side once queued frames are out
    /// (the peer reads our close frame, then EOF) and discard input. TCP closes when the flush
    /// is done if `closeWhenFlushed` (the peer sends nothing more after its close frame), else at
    /// the peer's EOF — closing with unread input would reset the connection and could destroy
    /// our close frame before the peer reads it — and in any case at the deadline.
    private func shutdownWriteSide(closeWhenFlushed: Bool) {
        guard flushOutgoing() else { return }   // uv_shutdown waits for the writes queued before it
        if let tls {   // close_notify goes out after our close frame, before the TCP FIN
            tls.close()
            _ = uvWritePending(uvStream(tcp), tls)
        }
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        request.pointee.data = closeWhenFlushed ? Unmanaged.passRetained(self).toOpaque() : nil
        let status = uv_shutdown(request, uvStream(tcp)) { request, status in
            guard let request else { return }
            if let data = request.pointee.data {
                let connection = Unmanaged<WebSocketConnection>.fromOpaque(data).takeRetainedValue()
                if status == 0 { connection.terminate() }
            }
            request.deallocate()
        }
        if status < 0 {
            if let data = request.pointee.data { Unmanaged<WebSocketConnection>.fromOpaque(data).release() }
            request.deallocate()
            loop.execute { [self] in terminate() }   // deferred: drain may run inside send or close
            return
        }
        timer.start(after: configuration.closeTimeoutMilliseconds) { [unowned self] in terminate() }
    }

    /// The socket ends (EOF, an error, the deadline, the flushed shutdown, a drop).
    private func terminate() {
        perform(closing.socketEnded())
    }

    private func closeSocket() {
        _ = flushOutgoing()   // as before batching: written if the socket takes it now, else dropped by the close
        socketClosed = true
        timer.close()
        idle.close()
        stopPinging()
        uv_read_stop(uvStream(tcp))
        onTerminate?(self)
        onTerminate = nil
        uv_close(uvHandle(tcp)) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            Unmanaged<WebSocketConnection>.fromOpaque(data).release()
            handle.deallocate()
        }
    }

    private func stopPinging() {
        pingTimer?.close()
        pingTimer = nil
    }

    /// Encodes one frame straight into this iteration's batch (`outgoing`), written when the loop's
    /// callbacks are done. False only for a frame too large to send (the connection then fails);
    /// a write libuv refuses ends the connection at the flush.
    private func writeFrame(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer) -> Bool {
        let maskKey = role == .client ? WebSocketHandshake.randomMask() : nil
        let size = WebSocketFrame.encodedSize(payloadCount: payload.count, masked: maskKey != nil)
        guard size <= Int(UInt32.max) - outgoingCount else {
            fail(WebSocketCloseCode.internalError, "message too large to send")
            return false
        }
        reserveOutgoing(size)
        WebSocketFrame.encode(opcode, payload: payload, fin: true, maskKey: maskKey,
                              into: UnsafeMutableRawBufferPointer(start: outgoing! + outgoingCount, count: size))
        outgoingCount += size
        if !flushScheduled {
            flushScheduled = true
            loop.beforeWaiting { [self] in
                flushScheduled = false
                _ = flushOutgoing()
            }
        }
        return true
    }

    private func reserveOutgoing(_ size: Int) {
        guard outgoingCount + size > outgoingCapacity else { return }
        let capacity = max(outgoingCount + size, outgoingCapacity * 2, 256)
        guard let grown = realloc(outgoing, capacity) else { fatalError("out of memory for a \(capacity)-byte WebSocket write") }
        outgoing = grown
        outgoingCapacity = capacity
    }

    /// Writes the batched frames (one `uv_write`, or one TLS write). False when libuv refused it:
    /// the connection is then ending (`writeFailed`).
    @discardableResult
    private func flushOutgoing() -> Bool {
        guard let memory = outgoing, outgoingCount > 0 else { return true }
        let size = outgoingCount
        outgoing = nil
        outgoingCount = 0
        outgoingCapacity = 0
        guard !socketClosed else {
            free(memory)
            return true
        }
        if let tls { return writeEncrypted(memory, size: size, through: tls) }
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.pointee.data = memory
        var buffer = uv_buf_init(memory.assumingMemoryBound(to: CChar.self), UInt32(size))
        let status = uv_write(request, uvStream(tcp), &buffer, 1) { request, _ in
            free(request?.pointee.data)
            request?.deallocate()
        }
        guard status >= 0 else {
            free(memory)
            request.deallocate()
            perform(closing.writeFailed())
            return false
        }
        return true
    }

    /// Encrypts a frame (then frees its clear copy) and writes the records libuv-owned.
    private func writeEncrypted(_ frame: UnsafeMutableRawPointer, size: Int, through tls: TLSEngine) -> Bool {
        defer { free(frame) }
        do {
            try tls.send(UnsafeRawBufferPointer(start: frame, count: size))
        } catch {
            configuration.log("\(peer): \(error.message); dropping the connection")
            perform(closing.writeFailed())
            return false
        }
        guard uvWritePending(uvStream(tcp), tls) >= 0 else {
            perform(closing.writeFailed())
            return false
        }
        return true
    }

    private static func peerAddress(_ tcp: UnsafeMutablePointer<uv_tcp_t>) -> String {
        var address = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &address) {
            uv_tcp_getpeername(tcp, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard status == 0 else { return "?" }
        var name = [CChar](repeating: 0, count: 64)
        let port = withUnsafeBytes(of: &address) { Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self))) }
        let isIPv6 = address.ss_family == sa_family_t(AF_INET6)
        withUnsafePointer(to: &address) { pointer in
            let raw = UnsafeRawPointer(pointer)
            if isIPv6 {
                _ = uv_ip6_name(raw.assumingMemoryBound(to: sockaddr_in6.self), &name, name.count)
            } else {
                _ = uv_ip4_name(raw.assumingMemoryBound(to: sockaddr_in.self), &name, name.count)
            }
        }
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Where libuv reads a connection's bytes. Each read is consumed inside its callback (the decoder
/// copies what it keeps), so connections of one loop can share a buffer: an idle WebSocket then
/// costs no read buffer of its own.
final class ReadBuffer {
    let size: Int
    let memory: UnsafeMutableRawPointer

    init(size: Int = 64 * 1024) {
        self.size = size
        memory = .allocate(byteCount: size, alignment: 16)
    }

    deinit { memory.deallocate() }
}
