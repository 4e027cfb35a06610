import Dispatch
import Glibc
import HostNet
import PluginABI
import Synchronization

/// "agent_host.http/1": plugins' HTTP requests, run by `HostServices.http` (curl multi on the
/// host's loop; nothing here blocks). Every accepted request gets exactly one callback, on the
/// loop thread, with a response that lives only for the callback. Logs name method, origin and
/// path — never query strings, bodies or header values.
nonisolated(unsafe) let httpTable = permanentTable(ah_host_http_t(
    struct_size: UInt32(MemoryLayout<ah_host_http_t>.size),
    request: { host, request, callback, user, outID, error in
        PluginHTTP.shared.request(host, request, callback, user, outID, error)
    },
    cancel: { host, id in PluginHTTP.shared.cancel(host, id) }))

/// Requests in flight, by id, so `cancel` can find them from any thread. Whoever removes an entry
/// (the response on the loop thread, or `cancel`) delivers its one callback.
final class PluginHTTP: Sendable {
    static let shared = PluginHTTP()

    /// `timeout_ms` 0 means this.
    static let defaultTimeoutMilliseconds = 10_000
    /// Larger request bodies are refused with AH_ERR_LIMIT_EXCEEDED.
    static let maxRequestBodyBytes = 8 << 20
    /// Larger responses fail with AH_ERR_UNAVAILABLE rather than exhausting the host's memory.
    static let maxResponseBytes = 16 << 20
    static let maxHeaders = 100

    private let pending = Mutex<[UInt64: PendingHTTP]>([:])
    /// Process-wide, so ids from different HostServices never collide in `pending`.
    private let lastID = Atomic<UInt64>(0)

    /// Requests accepted and not yet called back (for tests and diagnostics).
    var inFlight: Int { pending.withLock { $0.count } }

    // MARK: request

    func request(_ host: UnsafePointer<ah_host_t>?, _ request: UnsafePointer<ah_http_request_t>?,
                 _ callback: ah_http_callback_t?, _ user: UnsafeMutableRawPointer?,
                 _ outID: UnsafeMutablePointer<UInt64>?, _ error: UnsafeMutablePointer<ah_error_t>?) -> ah_status_t {
        guard let context = InstanceContext.from(host) else {
            return refuse(AH_ERR_INVALID_ARGUMENT, "http.request: host is not a host table", error)
        }
        guard let request, let callback else {
            return refuse(AH_ERR_INVALID_ARGUMENT, "http.request: request and callback are required", error)
        }
        // The calling loop's client: the callback then runs on the session's own loop (`server.loops`).
        guard let (loop, http) = context.services.callingLoop, let client = http else {
            return refuse(AH_ERR_UNAVAILABLE, "http.request: this host runs no event loop for HTTP", error)
        }
        var copied: ClientRequest
        let target: (origin: String, path: String)
        do {
            (copied, target) = try Self.copy(request.pointee)
        } catch let refusal {
            return refuse(refusal.status, "http.request: \(refusal.message)", error)
        }
        // A request made inside a traced tool call carries its trace (W3C traceparent).
        context.services.tracing.propagate(into: &copied.headers)
        let parsed = copied
        let id = lastID.add(1, ordering: .relaxed).newValue
        let entry = PendingHTTP(id: id, callback: callback, user: user, context: context, loop: loop, client: client,
                                origin: target.origin, summary: "\(parsed.method) \(target.origin)\(target.path)",
                                timeoutMilliseconds: parsed.timeoutMilliseconds)
        pending.withLock { $0[id] = entry }
        outID?.pointee = id
        // Start from the loop thread: the callback can then never run inside this call, and a
        // loop that has stopped refuses here, where we can still say so synchronously.
        let accepted = loop.execute { [self] in
            guard pending.withLock({ $0[id] != nil }) else { return }   // cancelled before it started
            entry.clientID = client.send(parsed) { [self] result in finish(id, result) }
        }
        guard accepted else {
            pending.withLock { _ = $0.removeValue(forKey: id) }
            return refuse(AH_ERR_UNAVAILABLE, "http.request: the host's event loop has stopped", error)
        }
        return AH_OK
    }

    // MARK: cancel

    func cancel(_ host: UnsafePointer<ah_host_t>?, _ id: UInt64) {
        guard let context = InstanceContext.from(host) else { return }
        // Only the instance that made a request may cancel it; other ids are "unknown".
        let entry: PendingHTTP? = pending.withLock { pending in
            guard let entry = pending[id], entry.context === context else { return nil }
            return pending.removeValue(forKey: id)
        }
        guard let entry else { return }
        entry.loop.execute {
            // After the start closure (execute keeps order), so the client id is known if it was sent.
            if let clientID = entry.clientID { entry.client.cancel(clientID) }
            entry.context.log(.debug, "HTTP \(entry.summary): cancelled")
            entry.deliver(status: AH_ERR_CANCELLED, httpStatus: 0, headers: [], body: [], message: "request cancelled")
        }
    }

    // MARK: completion (loop thread)

    private func finish(_ id: UInt64, _ result: ClientResult) {
        guard let entry = pending.withLock({ $0.removeValue(forKey: id) }) else { return }   // cancel won
        let elapsed = entry.elapsedMilliseconds
        switch result {
        case .success(let response):
            entry.context.log(.debug, "HTTP \(entry.summary): \(response.status) in \(elapsed) ms")
            entry.deliver(status: AH_OK, httpStatus: Int32(clamping: response.status),
                          headers: response.headers.fields.map { ($0.name, $0.value) }, body: response.body, message: nil)
        case .failure(let failure):
            let (status, message): (ah_status_t, String) = switch failure.kind {
            case .timeout: (AH_ERR_TIMEOUT, "no response from \(entry.origin) within \(entry.timeoutMilliseconds) ms")
            case .unavailable: (AH_ERR_UNAVAILABLE, "could not connect to \(entry.origin): \(failure.message)")
            case .cancelled: (AH_ERR_CANCELLED, "request cancelled (\(failure.message))")
            case .other: (AH_ERR_UNAVAILABLE, "request to \(entry.origin) failed: \(failure.message)")
            }
            entry.context.log(failure.kind == .cancelled ? .debug : .warning, "HTTP \(entry.summary): \(message) after \(elapsed) ms")
            entry.deliver(status: status, httpStatus: 0, headers: [], body: [], message: message)
        }
    }

    private func refuse(_ status: ah_status_t, _ message: String, _ error: UnsafeMutablePointer<ah_error_t>?) -> ah_status_t {
        writeError(message, to: error)
        return status
    }

    // MARK: copying and checking the plugin's request

    struct Refusal: Error {
        let status: ah_status_t
        let message: String
        init(_ message: String, status: ah_status_t = AH_ERR_INVALID_ARGUMENT) {
            self.status = status
            self.message = message
        }
    }

    /// Copies everything out of the plugin's memory, checking it; returns the request and its
    /// log-safe origin and path.
    static func copy(_ c: ah_http_request_t) throws(Refusal) -> (ClientRequest, (origin: String, path: String)) {
        guard c.struct_size >= UInt32(MemoryLayout<ah_http_request_t>.size) else {
            throw Refusal("struct_size is \(c.struct_size); set it to sizeof(ah_http_request_t)")
        }
        guard let rawMethod = c.method, let method = String(validatingCString: rawMethod), isMethod(method) else {
            let shown = c.method.map { String(cString: $0) } ?? "NULL"
            throw Refusal("method must be an upper-case HTTP method such as GET or POST, got '\(shown.prefix(40))'")
        }
        guard let rawURL = c.url, let url = String(validatingCString: rawURL) else {
            throw Refusal("url is missing or not UTF-8")
        }
        let target = try checkURL(url)

        guard c.header_count <= UInt32(maxHeaders) else { throw Refusal("more than \(maxHeaders) headers") }
        guard c.header_count == 0 || c.headers != nil else { throw Refusal("header_count is \(c.header_count) but headers is NULL") }
        var headers = HTTPHeaders()
        for index in 0..<Int(c.header_count) {
            let header = c.headers![index]
            guard let rawName = header.name, let name = String(validatingCString: rawName), isToken(name) else {
                throw Refusal("header \(index) has no valid name (letters, digits and !#$%&'*+-.^_`|~)")
            }
            guard let rawValue = header.value, let value = String(validatingCString: rawValue),
                  !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else {
                throw Refusal("header \(name) has no value or a value with a line break")
            }
            headers.add(name, value)
        }

        guard c.body_len <= maxRequestBodyBytes else {
            throw Refusal("body of \(c.body_len) bytes exceeds the host's limit of \(maxRequestBodyBytes)", status: AH_ERR_LIMIT_EXCEEDED)
        }
        guard c.body_len == 0 || c.body != nil else { throw Refusal("body_len is \(c.body_len) but body is NULL") }
        let body = c.body_len == 0 ? [] : Array(UnsafeRawBufferPointer(start: c.body, count: c.body_len))
        let timeout = c.timeout_ms == 0 ? defaultTimeoutMilliseconds : Int(c.timeout_ms)
        let request = ClientRequest(method: method, url: url, headers: headers, body: body,
                                    timeoutMilliseconds: timeout, maxResponseBytes: maxResponseBytes)
        return (request, target)
    }

    static func isMethod(_ method: String) -> Bool {
        (1...32).contains(method.utf8.count) && method.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }

    /// RFC 9110 token: a header field name.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 256 && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Checks an absolute http(s) URL; returns its origin and path without user info, query and
    /// fragment (for logs and messages).
    static func checkURL(_ url: String) throws(Refusal) -> (origin: String, path: String) {
        let shown = url.utf8.count > 80 ? String(url.prefix(80)) + "…" : url
        guard url.utf8.count <= 8192 else { throw Refusal("url is longer than 8192 bytes") }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Refusal("url must be ASCII without spaces (percent-encode the rest): '\(shown)'")
        }
        let lower = url.lowercased()
        let scheme: String
        if lower.hasPrefix("http://") { scheme = "http" } else if lower.hasPrefix("https://") { scheme = "https" } else {
            throw Refusal("url must be absolute and start with http:// or https://, got '\(shown)'")
        }
        let rest = url.dropFirst(scheme.count + 3)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var hostPart = authority
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Refusal("url has an unclosed IPv6 address: '\(shown)'") }
            hostPart = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Refusal("url has junk after its IPv6 address: '\(shown)'") }
                port = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        let hostChars = hostPart.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "%")
        }
        guard !hostPart.isEmpty, hostChars else { throw Refusal("url has no valid host: '\(shown)'") }
        if let port {
            guard let number = Int(port), (1...65535).contains(number), port.utf8.count <= 5 else {
                throw Refusal("url has an invalid port: '\(shown)'")
            }
        }
        let pathEnd = rest[authorityEnd...].firstIndex(where: { $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let path = rest[authorityEnd..<pathEnd]
        return ("\(scheme)://\(authority)", path.isEmpty ? "/" : String(path))
    }
}

/// One accepted request. `clientID` is touched only on the loop thread.
final class PendingHTTP: @unchecked Sendable {
    // @unchecked: `user` is the plugin's opaque pointer, only handed back to its callback;
    // `clientID` is written and read on the loop thread only.
    let id: UInt64
    let callback: ah_http_callback_t
    let user: UnsafeMutableRawPointer?
    let context: InstanceContext
    let loop: EventLoop
    let client: HTTPClient
    /// "http://host:port", without user info.
    let origin: String
    /// "GET http://host:port/path": no user info, query or fragment.
    let summary: String
    let timeoutMilliseconds: Int
    let started = DispatchTime.now().uptimeNanoseconds
    var clientID: UInt64?

    init(id: UInt64, callback: ah_http_callback_t, user: UnsafeMutableRawPointer?, context: InstanceContext,
         loop: EventLoop, client: HTTPClient, origin: String, summary: String, timeoutMilliseconds: Int) {
        self.id = id
        self.callback = callback
        self.user = user
        self.context = context
        self.loop = loop
        self.client = client
        self.origin = origin
        self.summary = summary
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    var elapsedMilliseconds: UInt64 { (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000 }

    /// Calls the plugin once; everything the response points to lives until the callback returns.
    func deliver(status: ah_status_t, httpStatus: Int32, headers: [(String, String)], body: [UInt8], message: String?) {
        let strings = headers.flatMap { [strdup($0.0)!, strdup($0.1)!] }
        defer { strings.forEach { free($0) } }
        let cHeaders = (0..<headers.count).map { ah_http_header_t(name: strings[2 * $0], value: strings[2 * $0 + 1]) }
        var terminated = body
        terminated.append(0)
        cHeaders.withUnsafeBufferPointer { headerBuffer in
            terminated.withUnsafeBufferPointer { bodyBuffer in
                bodyBuffer.withMemoryRebound(to: CChar.self) { bodyChars in
                    withOptionalCString(message) { cMessage in
                        var response = ah_http_response_t(
                            struct_size: UInt32(MemoryLayout<ah_http_response_t>.size),
                            status: status, http_status: httpStatus,
                            headers: headers.isEmpty ? nil : headerBuffer.baseAddress, header_count: UInt32(headers.count),
                            body: bodyChars.baseAddress, body_len: body.count, error_message: cMessage)
                        callback(user, &response)
                    }
                }
            }
        }
    }
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

/// Fills a caller-allocated ah_error_t with one line, truncated on a UTF-8 boundary (every extension uses it).
func writeError(_ message: String, to error: UnsafeMutablePointer<ah_error_t>?) {
    guard let error else { return }
    let all = Array(message.utf8)
    var count = min(all.count, Int(AH_ERROR_MESSAGE_CAPACITY) - 1)
    // Cut before a sequence that would not fit whole (all[count] is the first byte left out).
    if count < all.count { while count > 0 && all[count] & 0xC0 == 0x80 { count -= 1 } }
    withUnsafeMutableBytes(of: &error.pointee.message) { buffer in
        buffer.copyBytes(from: all[..<count])
        buffer[count] = 0
    }
}
