import CHTTPParser

/// Incremental HTTP/1.1 request parsing over libhttp-parser, with this server's limits.
/// A pure state machine (bytes in, events out, no sockets) so the connection's I/O can change —
/// e.g. hand the socket to a WebSocket after an upgrade — without touching the parsing.
///
/// The parser pauses after each event, so exactly one request is in flight per connection:
/// pipelined bytes stay unparsed until the connection calls `resume()`.
/// `package`: the fuzz harnesses (Sources/FuzzTargets) drive it directly.
package final class HTTPRequestParser {
    package enum Event {
        /// The headers carried `Expect: 100-continue`; answer `100 Continue`, then `resume()`.
        case expectContinue
        /// A complete request; `resume()` once it has been answered.
        case request(HTTPRequest)
        /// Malformed, over a limit or an unsupported version: answer `status` with `reason` (a
        /// sentence saying what is wrong and what to do) and close (the stream is out of sync).
        case failure(status: Int, reason: String)
    }

    /// Where the message being parsed is; the connection's header deadline runs until `.body`.
    enum Phase {
        case between   // no byte of a message yet (leading CRLFs are skipped here)
        case head      // request line and headers
        case body      // headers complete: the body, if any
    }

    private let maxHeaderBytes: Int
    private let maxBodyBytes: Int
    // Allocated, not stored inline: C keeps these addresses across calls.
    private let parser = UnsafeMutablePointer<http_parser>.allocate(capacity: 1)
    private let settings = UnsafeMutablePointer<http_parser_settings>.allocate(capacity: 1)

    // The message being parsed.
    private var url: [UInt8] = []
    private var fields: [(name: [UInt8], value: [UInt8])] = []
    private var lastWasValue = false
    private var headerBytes = 0
    private var body: [UInt8] = []
    private var head: HTTPRequest?
    private var event: Event?
    private(set) var phase = Phase.between

    package init(maxHeaderBytes: Int, maxBodyBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        http_parser_init(parser, HTTP_REQUEST)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        http_parser_settings_init(settings)
        Self.installCallbacks(settings)
    }

    deinit {
        parser.deallocate()
        settings.deallocate()
    }

    /// Parses as much of `bytes` as it can. Returns how many were consumed and the event, if one
    /// stopped parsing; after `.failure` the parser is unusable.
    package func feed(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, event: Event?) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return (0, nil) }
        event = nil
        let consumed = http_parser_execute(parser, settings, base.assumingMemoryBound(to: CChar.self), bytes.count)
        let errno = http_errno(parser.pointee.http_errno)
        if let event { return (consumed, event) }
        if errno == HPE_OK { return (consumed, nil) }
        if errno == HPE_HEADER_OVERFLOW { return (consumed, .failure(status: 431, reason: headersTooLarge)) }
        let problem = String(cString: http_errno_description(errno))
        return (consumed, .failure(status: 400, reason: "malformed HTTP request (\(problem)): send a valid HTTP/1.1 request"))
    }

    private var headersTooLarge: String {
        "the request line and headers are larger than \(maxHeaderBytes) bytes: send fewer or shorter headers"
    }

    private var bodyTooLarge: String {
        "the request body is larger than \(maxBodyBytes) bytes: send a smaller body"
    }

    /// Continues after `.expectContinue` or `.request`.
    package func resume() { http_parser_pause(parser, 0) }

    private func fail(_ status: Int, _ reason: String) -> Int32 {
        event = .failure(status: status, reason: reason)
        return -1
    }

    private func pause(with event: Event) {
        self.event = event
        http_parser_pause(parser, 1)
    }

    // MARK: callbacks (called from inside http_parser_execute)

    fileprivate func messageBegin() -> Int32 {
        url.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        body = []
        headerBytes = 0
        lastWasValue = false
        head = nil
        phase = .head
        return 0
    }

    fileprivate func url(_ chunk: UnsafeRawBufferPointer) -> Int32 {
        headerBytes += chunk.count
        guard headerBytes <= maxHeaderBytes else { return fail(431, headersTooLarge) }
        url += chunk
        return 0
    }

    fileprivate func headerField(_ chunk: UnsafeRawBufferPointer) -> Int32 {
        headerBytes += chunk.count
        guard headerBytes <= maxHeaderBytes else { return fail(431, headersTooLarge) }
        // A field name may arrive in pieces; a new one starts after a value.
        if lastWasValue || fields.isEmpty { fields.append(([], [])) }
        fields[fields.count - 1].name += chunk
        lastWasValue = false
        return 0
    }

    fileprivate func headerValue(_ chunk: UnsafeRawBufferPointer) -> Int32 {
        headerBytes += chunk.count
        guard headerBytes <= maxHeaderBytes else { return fail(431, headersTooLarge) }
        guard !fields.isEmpty else { return fail(400, "malformed HTTP request (a header value without a name): send a valid HTTP/1.1 request") }
        fields[fields.count - 1].value += chunk
        lastWasValue = true
        return 0
    }

    fileprivate func headersComplete() -> Int32 {
        phase = .body
        // HTTP/1.0 and 1.1 only (0.9, 2.0, 9.9: 505). A later 1.x minor version is served as 1.1, as
        // RFC 9110 §2.5 asks of a recipient that implements the major version.
        let (major, minor) = (parser.pointee.http_major, parser.pointee.http_minor)
        guard major == 1 else {
            return fail(505, "HTTP/\(major).\(minor) is not supported: send the request as HTTP/1.1 (or HTTP/1.0)")
        }
        let length = parser.pointee.content_length  // ULLONG_MAX when absent
        if length != UInt64.max, length > UInt64(maxBodyBytes) { return fail(413, bodyTooLarge) }
        var headers = HTTPHeaders()
        for field in fields {
            headers.add(String(decoding: field.name, as: UTF8.self), Self.trimmed(field.value))
        }
        let method = String(cString: http_method_str(http_method(UInt32(parser.pointee.method))))
        let version = minor == 0 ? "1.0" : "1.1"
        head = HTTPRequest(method: method, target: String(decoding: url, as: UTF8.self), headers: headers,
                           version: version, isUpgrade: parser.pointee.upgrade == 1)
        let chunked = parser.pointee.flags & UInt32(F_CHUNKED.rawValue) != 0
        let hasBody = chunked || (length != UInt64.max && length > 0)
        if version == "1.1", hasBody, headers["Expect"]?.lowercased() == "100-continue" {
            pause(with: .expectContinue)
        }
        return 0
    }

    fileprivate func body(_ chunk: UnsafeRawBufferPointer) -> Int32 {
        guard body.count + chunk.count <= maxBodyBytes else { return fail(413, bodyTooLarge) }
        body += chunk
        return 0
    }

    fileprivate func messageComplete() -> Int32 {
        phase = .between
        guard var request = head else { return fail(400, "malformed HTTP request (a message without headers): send a valid HTTP/1.1 request") }
        request.body = body
        request.keepAlive = http_should_keep_alive(parser) != 0
        request.isUpgrade = parser.pointee.upgrade == 1
        body = []
        pause(with: .request(request))
        return 0
    }

    private static func trimmed(_ value: [UInt8]) -> String {
        var end = value.endIndex
        while end > value.startIndex, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
        return String(decoding: value[..<end], as: UTF8.self)
    }

    // C callbacks reach the parser through `http_parser.data`; they capture nothing.
    private static func installCallbacks(_ settings: UnsafeMutablePointer<http_parser_settings>) {
        settings.pointee.on_message_begin = { owner($0).messageBegin() }
        settings.pointee.on_url = { owner($0).url(UnsafeRawBufferPointer(start: $1, count: $2)) }
        settings.pointee.on_header_field = { owner($0).headerField(UnsafeRawBufferPointer(start: $1, count: $2)) }
        settings.pointee.on_header_value = { owner($0).headerValue(UnsafeRawBufferPointer(start: $1, count: $2)) }
        settings.pointee.on_headers_complete = { owner($0).headersComplete() }
        settings.pointee.on_body = { owner($0).body(UnsafeRawBufferPointer(start: $1, count: $2)) }
        settings.pointee.on_message_complete = { owner($0).messageComplete() }
    }
}

private func owner(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTPRequestParser {
    Unmanaged<HTTPRequestParser>.fromOpaque(parser!.pointee.data).takeUnretainedValue()
}
