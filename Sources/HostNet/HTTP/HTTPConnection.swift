import CLibUV

/// One accepted TCP connection: socket I/O, timers and the one-request-at-a-time state machine.
/// Parsing lives in `HTTPRequestParser`; this type only moves bytes and decides when to close.
/// Loop-thread only. The uv handle retains this object until its close callback.
///
/// Two clocks run while it reads a request: the idle timeout (no byte for that long closes the
/// connection) and the header deadline, absolute from the accept or from the first byte of a later
/// request (headers not complete by then: 408 and close), so a client that trickles bytes cannot
/// hold the connection. One timer serves both: reads only note the time, and the timer re-arms
/// itself for whichever comes first.
final class HTTPConnection: @unchecked Sendable {
    // @unchecked: every member is touched on the loop thread only; `respond` closures hop there.
    private enum State: Equatable {
        case reading              // waiting for (more of) a request
        case handling(UInt64)     // request n is with the handler
        case draining             // final response queued; discarding input until the peer closes
        case closed
    }

    /// How long a closing connection keeps reading so the peer sees our response, not a reset.
    private static let lingerMilliseconds: UInt64 = 2_000

    private let tcp: UnsafeMutablePointer<uv_tcp_t>
    /// The server's: every connection of a loop reads into one buffer, since each read is copied
    /// into `inbox` before the loop reads anything else. A buffer of its own was 64 KiB to allocate
    /// and free per connection — per call, for WebSocket sessions, each opened by a handshake.
    private let readBuffer: ReadBuffer
    private let loop: EventLoop
    private let configuration: HTTPServer.Configuration
    private let handler: HTTPHandler
    private let upgrader: WebSocketUpgrader?
    private let parser: HTTPRequestParser
    private let timer: LoopTimer
    /// This connection's place under the server's connection caps; freed when the socket closes
    /// (handed to the WebSocket on an upgrade).
    private let slot: ConnectionSlot
    private let onClose: (HTTPConnection) -> Void
    private var state = State.reading
    private var inbox: [UInt8] = []   // received, not yet parsed (pipelined requests wait here)
    private var serial: UInt64 = 0
    private var headOnly = false     // the request in flight is HEAD: no body in its response
    private var http10 = false       // the request in flight is HTTP/1.0
    private var isReading = false
    /// Loop time of the last byte read (the idle clock).
    private var lastRead: UInt64 = 0
    /// Loop time the current request began (accept, or its first byte); nil between requests and
    /// once its headers are complete (the header deadline is off).
    private var requestStarted: UInt64?

    /// Takes ownership of an accepted, initialised `tcp` handle.
    init(tcp: UnsafeMutablePointer<uv_tcp_t>, loop: EventLoop, configuration: HTTPServer.Configuration,
         handler: @escaping HTTPHandler, upgrader: WebSocketUpgrader? = nil, slot: ConnectionSlot, readBuffer: ReadBuffer,
         onClose: @escaping (HTTPConnection) -> Void) {
        self.tcp = tcp
        self.readBuffer = readBuffer
        self.slot = slot
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
        lastRead = loop.nowMilliseconds
        requestStarted = lastRead
        startReading()
        armReadingTimer()
    }

    /// Closes now; a response still being produced is dropped.
    func close() {
        guard state != .closed else { return }
        state = .closed
        timer.close()
        uv_read_stop(uvStream(tcp))
        onClose(self)
        slot.free()
        uv_close(uvHandle(tcp)) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            Unmanaged<HTTPConnection>.fromOpaque(data).release()
            handle.deallocate()
        }
    }

    // MARK: reading

    private func startReading() {
        guard !isReading, state != .closed else { return }
        isReading = true
        uv_read_start(uvStream(tcp), { handle, _, buffer in
            let connection = Unmanaged<HTTPConnection>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            buffer?.pointee = uv_buf_init(connection.readBuffer.memory.assumingMemoryBound(to: CChar.self), UInt32(connection.readBuffer.size))
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
            lastRead = loop.nowMilliseconds
            if requestStarted == nil {
                // The first byte of a request: its header deadline starts now.
                requestStarted = lastRead
                armReadingTimer()
            }
        case .handling:
            break                           // the idle clock is stopped while a handler works
        }
        inbox.append(contentsOf: UnsafeRawBufferPointer(start: readBuffer.memory, count: count))
        // Backpressure: a client pipelining more than one maximal request waits for TCP.
        if inbox.count > configuration.maxHeaderBytes + configuration.maxBodyBytes + readBuffer.size { stopReading() }
        parseInbox()
    }

    /// Feeds buffered bytes to the parser until it needs more, hands over a request, or fails.
    private func parseInbox() {
        while state == .reading, !inbox.isEmpty {
            let (consumed, event) = inbox.withUnsafeBytes { parser.feed($0) }
            inbox.removeFirst(consumed)
            if parser.phase == .body { requestStarted = nil }   // headers complete: deadline met
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
        // The route names a stall of the loop while the handler runs (LoopWatchdog).
        loop.during(LoopActivity(request.method, request.path)) { handler(request, respond) }
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
        lastRead = loop.nowMilliseconds
        // A pipelined request already waiting is on the header clock from now; otherwise the
        // next request's first byte starts it.
        requestStarted = inbox.isEmpty ? nil : lastRead
        armReadingTimer()
        startReading()
        parseInbox()
    }

    /// A WebSocket handshake: refused with a response and closed, or accepted, when `tcp` and
    /// the bytes after the request (already frames) go to a `WebSocketConnection`. This object
    /// then lets go of the handle without closing it.
    private func upgrade(_ request: HTTPRequest, _ upgrader: WebSocketUpgrader) {
        timer.stop()
        switch loop.during(LoopActivity(request.method, request.path), { upgrader.decide(request) }) {
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
            open(tcp, leftover, slot)   // the WebSocket frees the slot when it closes
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

    /// Arms the one timer for the earlier of the idle timeout and the header deadline.
    private func armReadingTimer() {
        let now = loop.nowMilliseconds
        var due = lastRead &+ configuration.idleTimeoutMilliseconds
        if let started = requestStarted { due = min(due, started &+ configuration.headerTimeoutMilliseconds) }
        timer.start(after: due > now ? due - now : 0) { [unowned self] in self.readingTimerFired() }
    }

    private func readingTimerFired() {
        guard state == .reading else { return }
        let now = loop.nowMilliseconds
        if let started = requestStarted, now &- started >= configuration.headerTimeoutMilliseconds {
            let seconds = Double(configuration.headerTimeoutMilliseconds) / 1000
            return finish(with: HTTPResponse.error(408, "the request line and headers did not arrive within \(seconds.secondsText) s: "
                                                    + "send the whole request head at once, on a new connection"), closing: true)
        }
        if now &- lastRead >= configuration.idleTimeoutMilliseconds { return close() }
        armReadingTimer()   // fired for a deadline that activity or a finished head pushed back
    }
}

extension Double {
    /// 10 -> "10", 0.25 -> "0.25": seconds in messages.
    fileprivate var secondsText: String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
