/// A request for `HTTPClient`.
public struct ClientRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The whole exchange (connect, send, receive) must finish within this (CURLOPT_TIMEOUT_MS).
    public var timeoutMilliseconds: Int
    /// Responses larger than this fail with `.other` rather than exhausting memory.
    public var maxResponseBytes: Int
    /// Connecting (DNS, TCP, TLS handshake) must finish within this (CURLOPT_CONNECTTIMEOUT_MS); nil = curl's default.
    public var connectTimeoutMilliseconds: Int?
    /// A PEM bundle of CAs to trust instead of the system's (CURLOPT_CAINFO), e.g. a private
    /// vLLM behind an internal CA. Peer and host verification stay on either way.
    public var caFile: String?
    /// When set, the response body is not buffered: each piece goes here as curl receives it
    /// (loop thread; the bytes are valid only during the call), with the status and headers.
    /// Returning false aborts the transfer, which then completes with `.cancelled`. The
    /// completion still comes exactly once, with an empty body.
    public var onData: ClientDataHandler?

    public init(method: String = "GET", url: String, headers: HTTPHeaders = [:], body: [UInt8] = [],
                timeoutMilliseconds: Int = 10_000, maxResponseBytes: Int = 64 << 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxResponseBytes = maxResponseBytes
    }

    public static func get(_ url: String, headers: HTTPHeaders = [:]) -> ClientRequest {
        ClientRequest(url: url, headers: headers)
    }

    /// A POST whose body is `json` (already encoded), with `Content-Type: application/json`.
    public static func post(_ url: String, json: String, headers: HTTPHeaders = [:]) -> ClientRequest {
        var headers = headers
        if !headers.contains("Content-Type") { headers["Content-Type"] = "application/json" }
        return ClientRequest(method: "POST", url: url, headers: headers, body: Array(json.utf8))
    }
}

/// Receives a streamed response body piece by piece (see `ClientRequest.onData`).
public typealias ClientDataHandler = @Sendable (_ status: Int, _ headers: HTTPHeaders, _ bytes: UnsafeRawBufferPointer) -> Bool

/// A complete HTTP response, whatever its status (a 500 is a response, not an error).
public struct ClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
