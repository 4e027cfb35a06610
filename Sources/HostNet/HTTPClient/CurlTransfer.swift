import CCurl
import CHostShims

/// One request as a curl easy handle, plus the buffers curl's callbacks fill.
/// Loop-thread only; owned by `CurlMulti` until it completes.
final class CurlTransfer {
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    let completion: @Sendable (ClientResult) -> Void
    private let maxResponseBytes: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
    private var headers = HTTPHeaders()
    private var body: [UInt8] = []
    private var overflowed = false
    private let onData: ClientDataHandler?
    private var abortedByHandler = false

    init?(id: UInt64, request: ClientRequest, completion: @escaping @Sendable (ClientResult) -> Void) {
        guard let easy = curl_easy_init() else { return nil }
        self.id = id
        self.easy = easy
        self.completion = completion
        self.maxResponseBytes = request.maxResponseBytes
        self.onData = request.onData
        errorBuffer[0] = 0
        configure(request)
    }

    /// Called once, after the multi handle let go of `easy`.
    func cleanup() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// The outcome for curl's final code.
    func result(_ code: CURLcode) -> ClientResult {
        if code == CURLE_OK {
            var status = 0
            _ = host_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            return .success(ClientResponse(status: status, headers: headers, body: body))
        }
        if abortedByHandler {
            return .failure(ClientError(kind: .cancelled, message: "stopped by the response stream's reader", curlCode: Int(code.rawValue)))
        }
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let message = overflowed ? "response larger than \(maxResponseBytes) bytes" : detail
        let kind: ClientError.Kind = switch code {
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .unavailable
        default: .other
        }
        return .failure(ClientError(kind: kind, message: message, curlCode: Int(code.rawValue)))
    }

    private func configure(_ request: ClientRequest) {
        setString(CURLOPT_URL, request.url)
        setString(CURLOPT_PROTOCOLS_STR, "http,https")
        // Required when several threads use curl: no SIGALRM-based DNS timeouts.
        host_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        host_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds)
        // TLS peer and host verification are on (curl's defaults, set again so no default can
        // change that); a private CA is added with CURLOPT_CAINFO, never by turning checks off.
        host_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        host_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = request.caFile { setString(CURLOPT_CAINFO, caFile) }
        if let connect = request.connectTimeoutMilliseconds { host_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, connect) }
        host_curl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, UnsafeMutableRawPointer(bitPattern: UInt(id)))
        host_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        let me = Unmanaged.passUnretained(self).toOpaque()
        host_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        host_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, owner in
            Unmanaged<CurlTransfer>.fromOpaque(owner!).takeUnretainedValue().receiveBody(data, size * count)
        }
        host_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        host_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, owner in
            Unmanaged<CurlTransfer>.fromOpaque(owner!).takeUnretainedValue().receiveHeader(data, size * count)
        }

        switch request.method {
        case "GET": host_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": host_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        case "POST": break
        default: setString(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if request.method == "POST" || !request.body.isEmpty {
            host_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            // COPYPOSTFIELDS: curl keeps its own copy, so the Swift array need not outlive this call.
            request.body.withUnsafeBytes { bytes in
                let empty: StaticString = ""
                let pointer = bytes.baseAddress ?? UnsafeRawPointer(empty.utf8Start)
                host_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: pointer))
            }
        }

        var lines = request.headers.map { "\($0.name): \($0.value)" }
        // curl would otherwise wait up to a second for `100 Continue` before sending larger bodies.
        if !request.headers.contains("Expect") { lines.append("Expect:") }
        for line in lines { headerList = curl_slist_append(headerList, line) }
        host_curl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, headerList)
    }

    /// Strings are copied by curl (all string options except POSTFIELDS), so a temporary is fine.
    private func setString(_ option: CURLoption, _ value: String) {
        _ = value.withCString { host_curl_easy_setopt_pointer(easy, option, UnsafeMutableRawPointer(mutating: $0)) }
    }

    private func receiveBody(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return 0 }
        if let onData {
            var status = 0
            _ = host_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            guard onData(status, headers, UnsafeRawBufferPointer(start: data, count: count)) else {
                abortedByHandler = true
                return 0
            }
            return count
        }
        guard body.count + count <= maxResponseBytes else {
            overflowed = true
            return 0   // anything but `count` makes curl abort with CURLE_WRITE_ERROR
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        return count
    }

    private func receiveHeader(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data else { return 0 }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = HTTPHeaders()   // a new response (after `100 Continue` or a redirect) starts over
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = Self.trimmed(line[line.index(after: colon)...])
            headers.add(name, value)
        }
        return count
    }

    /// Drops surrounding spaces, tabs and the line's CR LF.
    private static func trimmed(_ text: Substring) -> String {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, blank(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, blank(last) { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
