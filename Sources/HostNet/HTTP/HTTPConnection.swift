import CLibUV

/// One accepted TCP connection: socket I/O, timers and the one-request-at-a-time state machine.
/// Parsing lives in `HTTPRequestParser`; this type only moves bytes and decides when to close.
/// Loop-thread only. The uv handle retains this object until its close callback.
final class HTTPConnection: @unchecked Sendable {
    // @unchecked: every member is touched on the loop thread only; `respond` closures hop there.
    private enum State: Equatable {
        case reading              // waiting for (more of) a request
        case handling(UInt64)     // request n is with the handler
        case draining             // final response queued; discarding input until the peer closes
        case closed
    }

    private static let readBufferSize = 64 * 1024
    /// How long a closing connection keeps reading so the peer sees our response, not a reset.
    private static let lingerMilliseconds: UInt64 = 2_000

    private let tcp: UnsafeMutablePointer<uv_tcp_t>
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: readBufferSize, alignment: 16)
    private let loop: EventLoop
    private let configuration: HTTPServer.Configuration
    private let handler: HTTPHandler
    private let upgrader: WebSocketUpgrader?
    private let parser: HTTPRequestParser
    private let timer: LoopTimer
    private let onClose: (HTTPConnection) -> Void
    private var state = State.reading
    private var inbox: [UInt8] = []   // received, not yet parsed (pipelined requests wait here)
    private var serial: UInt64 = 0
    private var headOnly = false     // the request in flight is HEAD: no body in its response
    private var http10 = false       // the request in flight is HTTP/1.0
    private var isReading = false

    /// Takes ownership of an accepted, initialised `tcp` handle.
    init(tcp: UnsafeMutablePointer<uv_tcp_t>, loop: EventLoop, configuration: HTTPServer.Configuration,
         handler: @escaping HTTPHandler, upgrader: WebSocketUpgrader? = nil, onClose: @escaping (HTTPConnection) -> Void) {
        self.tcp = tcp
        self.loop = loop
        self.configuration = configuration
        self.handler = handler
        self.upgrader = upgrader
        self.onClose = onClose
        parser = HTTPRequestParser(maxHeaderBytes: configuration.maxHeaderBytes, maxBodyBytes: configuration.maxBodyBytes)
        timer = LoopTimer(loop: loop)
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    func begin() {
        startReading()
        armIdleTimer()
    }

    /// Closes now; a response still being produced is dropped.
    func close() {
        guard state != .closed else { return }
        state = .closed
        timer.close()
        uv_read_stop(uvStream(tcp))
        onClose(self)
        uv_close(uvHandle(tcp)) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            let connection = Unmanaged<HTTPConnection>.fromOpaque(data).takeRetainedValue()
            connection.readBuffer.deallocate()
            handle.deallocate()
        }
    }

    // MARK: reading

    private func startReading() {
        guard !isReading, state != .closed else { return }
        isReading = true
        uv_read_start(uvStream(tcp), { handle, _, buffer in
            let connection = Unmanaged<HTTPConnection>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            buffer?.pointee = uv_buf_init(connection.readBuffer.assumingMemoryBound(to: CChar.self), UInt32(HTTPConnection.readBufferSize))
        }, { stream, count, _ in
            Unmanaged<HTTPConnection>.fromOpaque(stream!.pointee.data).takeUnretainedValue().didRead(count)
        })
    }

    private func stopReading() {
        guard isReading else { return }
        isReading = false
        uv_read_stop(uvStream(tcp))
    }

    private func didRead(_ count: Int) {
        if count < 0 { return close() }   // EOF or error: nobody is left to answer
        guard count > 0 else { return }
        switch state {
        case .closed, .draining:
            return                          // lingering: input is discarded
        case .reading:
            armIdleTimer()
        case .handling:
            break                           // the idle clock is stopped while a handler works
        }
        inbox.append(contentsOf: UnsafeRawBufferPointer(start: readBuffer, count: count))
        // Backpressure: a client pipelining more than one maximal request waits for TCP.
        if inbox.count > configuration.maxHeaderBytes + configuration.maxBodyBytes + Self.readBufferSize { stopReading() }
        parseInbox()
    }

    /// Feeds buffered bytes to the parser until it needs more, hands over a request, or fails.
    private func parseInbox() {
        while state == .reading, !inbox.isEmpty {
            let (consumed, event) = inbox.withUnsafeBytes { parser.feed($0) }
            inbox.removeFirst(consumed)
            switch event {
            case nil:
                return
            case .expectContinue:
                _ = uvWrite(uvStream(tcp), Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                parser.resume()
            case .request(let request):
                dispatch(request)
            case .failure(let status, let reason):
                finish(with: HTTPResponse.error(status, reason), closing: true)
            }
        }
    }

    // MARK: handling

    private func dispatch(_ request: HTTPRequest) {
        if let upgrader, upgrader.wants(request) { return upgrade(request, upgrader) }
        serial += 1
        let number = serial
        state = .handling(number)
        headOnly = request.method == "HEAD"
        http10 = request.version == "1.0"
        timer.stop()
        let loop = self.loop
        let respond: HTTPResponder = { [self] response in
            // Always deferred, even on the loop thread, so a handler answering synchronously
            // never re-enters `parseInbox`.
            loop.execute { self.complete(number, response, keepAlive: request.keepAlive && !request.isUpgrade) }
        }
        handler(request, respond)
    }

    private func complete(_ number: UInt64, _ response: HTTPResponse, keepAlive: Bool) {
        guard state == .handling(number) else { return }   // answered twice, or closed meanwhile
        // An upgrade request that the handler did not take over ends the connection (WebSocket
        // upgrades with a router never get here: `upgrade` hands the socket over).
        let closing = !keepAlive || response.asksToClose
        finish(with: response, closing: closing)
        guard !closing, state == .handling(number) else { return }   // closing, or the write failed
        state = .reading
        parser.resume()
        armIdleTimer()
        startReading()
        parseInbox()
    }

    /// A WebSocket handshake: refused with a response and closed, or accepted, when `tcp` and
    /// the bytes after the request (already frames) go to a `WebSocketConnection`. This object
    /// then lets go of the handle without closing it, so no close callback will free `readBuffer`.
    private func upgrade(_ request: HTTPRequest, _ upgrader: WebSocketUpgrader) {
        timer.stop()
        switch upgrader.decide(request) {
        case .reject(let response):
            finish(with: response, closing: true)
        case .accept(let open):
            state = .closed
            timer.close()
            stopReading()
            onClose(self)
            let leftover = inbox
            inbox = []
            if let data = tcp.pointee.data { Unmanaged<HTTPConnection>.fromOpaque(data).release() }
            tcp.pointee.data = nil
            readBuffer.deallocate()   // not in use: libuv reads into it only while reading
            open(tcp, leftover)
        }
    }

    private func finish(with response: HTTPResponse, closing: Bool) {
        let bytes = response.serialized(closing: closing, includeBody: !headOnly, http10: http10)
        headOnly = false
        http10 = false
        if uvWrite(uvStream(tcp), bytes) < 0 { return close() }
        if closing { drainAndClose() }
    }

    // MARK: closing

    /// Half-closes after the queued writes and keeps reading briefly: closing a socket with unread
    /// input sends a reset, which can destroy the response before the client reads it.
    private func drainAndClose() {
        state = .draining
        inbox = []
        startReading()
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        if uv_shutdown(request, uvStream(tcp), { request, _ in request?.deallocate() }) < 0 {
            request.deallocate()
            return close()
        }
        timer.start(after: Self.lingerMilliseconds) { [unowned self] in self.close() }
    }

    private func armIdleTimer() {
        timer.start(after: configuration.idleTimeoutMilliseconds) { [unowned self] in self.close() }
    }
}
