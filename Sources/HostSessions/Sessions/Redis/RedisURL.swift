/// Where Redis is: `redis://[:password@]host[:port][/db]` or `unix:///path/redis.sock[?db=N]`
/// (RESP2, no TLS: hiredis 0.14.1 has none). Parsed by hand rather than with URLComponents so
/// the accepted forms are exactly these.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int
    /// Sent as `AUTH password` on connect. Never printed (see `description`).
    public var password: String?
    /// A Unix domain socket instead of host and port.
    public var socketPath: String?

    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.password = password
    }

    public init(socketPath: String, database: Int = 0, password: String? = nil) {
        self.init(host: "", port: 0, database: database, password: password)
        self.socketPath = socketPath
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Parses `redis://host:port/db`; port defaults to 6379, db to 0. IPv6 hosts go in brackets.
    public init(parsing text: String) throws {
        if text.hasPrefix("unix://") {
            var path = Substring(text.dropFirst("unix://".count))
            var database = 0
            if let query = path.firstIndex(of: "?") {
                let parameter = path[path.index(after: query)...]
                path = path[..<query]
                guard parameter.hasPrefix("db="), let db = Int(parameter.dropFirst(3)), db >= 0 else {
                    throw ParseError(description: "unix socket URLs take only ?db=N (got \(text))")
                }
                database = db
            }
            guard path.hasPrefix("/") else { throw ParseError(description: "unix socket path must be absolute in \(text)") }
            self.init(socketPath: String(path), database: database)
            return
        }
        guard text.hasPrefix("redis://") else {
            throw ParseError(description: "redis URL must start with redis:// or unix:// (got \(text))")
        }
        var rest = Substring(text.dropFirst("redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else { throw ParseError(description: "bad database number '\(path)' in \(text)") }
                database = db
            }
        }
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            // `:password` or `user:password`; hiredis 0.14 speaks only the one-argument AUTH.
            let secret = userInfo.firstIndex(of: ":").map { userInfo[userInfo.index(after: $0)...] } ?? userInfo
            password = secret.isEmpty ? nil : String(secret)
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ParseError(description: "unclosed [ in \(text)") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw ParseError(description: "unexpected '\(after)' in \(text)")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        var port = 6379
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw ParseError(description: "bad port '\(portText)' in \(text)") }
            port = p
        }
        guard !host.isEmpty else { throw ParseError(description: "missing host in \(text)") }
        self.init(host: String(host), port: port, database: database, password: password)
    }

    /// The URL without the password (for logs and /health).
    public var description: String {
        if let socketPath { return "unix://\(socketPath)\(database == 0 ? "" : "?db=\(database)")" }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(password == nil ? "" : ":***@")\(shownHost):\(port)\(database == 0 ? "" : "/\(database)")"
    }
}
