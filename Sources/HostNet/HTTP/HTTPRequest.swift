/// One parsed HTTP/1.1 request, as handed to an `HTTPServer` handler.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target exactly as sent (path plus optional query).
    public var target: String
    /// The percent-decoded path, without the query.
    public var path: String
    public var queryItems: [HTTPQueryItem]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// "1.0" or "1.1".
    public var version: String
    /// Whether the client allows the connection to stay open after this request.
    public var keepAlive: Bool
    /// True when the client asked to switch protocols (`Connection: upgrade`, e.g. WebSocket).
    public var isUpgrade: Bool

    public init(method: String, target: String, headers: HTTPHeaders = [:], body: [UInt8] = [],
                version: String = "1.1", keepAlive: Bool = true, isUpgrade: Bool = false) {
        self.method = method
        self.target = target
        let (path, query) = HTTPQueryItem.split(target: target)
        self.path = path
        self.queryItems = query
        self.headers = headers
        self.body = body
        self.version = version
        self.keepAlive = keepAlive
        self.isUpgrade = isUpgrade
    }

    /// The first query value named `name`.
    public func query(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
