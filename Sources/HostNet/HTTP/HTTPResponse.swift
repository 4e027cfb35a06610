import AgentHostJSON
/// A response an `HTTPServer` handler hands back. The server adds `Content-Length` (always) and
/// `Connection: close` when it is going to close.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, headers: HTTPHeaders = [:], text: String, contentType: String = "text/plain; charset=utf-8") {
        var headers = headers
        if !headers.contains("Content-Type") { headers["Content-Type"] = contentType }
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }

    /// `{"error":"<message>"}` as `application/json`: the shape of every error the host sends.
    /// `message` says what is wrong and what to do about it.
    public static func error(_ status: Int, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"],
                     body: Array("{\"error\":\(JSONString.quote(message))}".utf8))
    }

    /// The wire form: status line, headers, the framing headers the server owns, body (omitted
    /// for HEAD). HTTP/1.0 clients only keep a connection open when told so explicitly.
    func serialized(closing: Bool, includeBody: Bool, http10: Bool = false) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n"
        for (name, value) in headers where !Self.serverOwned.contains(where: { HTTPHeaders.same($0, name) }) {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(body.count)\r\n"
        if closing {
            head += "Connection: close\r\n"
        } else if http10 {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if includeBody { bytes += body }
        return bytes
    }

    private static let serverOwned = ["Content-Length", "Transfer-Encoding", "Connection"]

    /// Whether the handler asked for the connection to close after this response.
    var asksToClose: Bool { headers["Connection"]?.lowercased() == "close" }
}

/// Reason phrases for the status codes this project uses; anything else gets a generic one.
public enum HTTPStatus {
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 426: "Upgrade Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: status < 400 ? "OK" : "Error"
        }
    }
}
