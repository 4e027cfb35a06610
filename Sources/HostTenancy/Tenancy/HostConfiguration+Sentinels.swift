extension HostConfiguration {
    /// `redis: {sentinels: [host:port, …], master_name: …, database, password, replica_acks}`
    /// (docs/operations.md, `redis`): checked here so a typo stops the host at its line, not at
    /// the first failover.
    static func parseSentinels(_ section: ConfigurationMapping, into redis: inout Redis) throws(ConfigurationError) {
        let list = try section.stringList("sentinels")
        let name = try section.string("master_name")
        if let list {
            guard redis.url == nil else {
                throw section.fail("sentinels", "give either url or sentinels, not both (with sentinels the host asks them where the master is)")
            }
            guard !list.isEmpty else { throw section.fail("sentinels", "must list at least one sentinel as host:port") }
            for (text, node) in list where !isHostPort(text) {
                throw section.fail(at: node, "sentinels", "\"\(text)\" is not host:port (e.g. 10.0.0.5:26379)")
            }
            guard let name else { throw section.fail("sentinels", "master_name is required with sentinels (the name in `sentinel monitor NAME …`)") }
            guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\n" }) else {
                throw section.fail("master_name", "must be a name without spaces, got \"\(name)\"")
            }
            redis.sentinels = list.map(\.value)
            redis.masterName = name
        } else {
            for key in ["master_name", "database", "password"] where section.value(key) != nil {
                throw section.fail(key, "is only for sentinels (with url, put it in the URL)")
            }
        }
        if let database = try section.int("database", in: 0...15) { redis.database = database }
        if let password = try section.string("password"), !password.isEmpty {
            let node = section.value("password")!
            redis.password = try section.reader.substitute(password, at: node) { section.scope.message("password", $0) }
        }
        if let acks = try section.int("replica_acks", in: 0...16) {
            guard redis.url != nil || !redis.sentinels.isEmpty else { throw section.fail("replica_acks", "needs url or sentinels") }
            redis.replicaAcks = acks
        }
    }

    /// `host:port` or `[v6]:port` (the runtime parses it again: RedisSentinels.Address; tenancy
    /// does not depend on the session store).
    static func isHostPort(_ text: String) -> Bool {
        let host: Substring
        let port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return false }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return false }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") { return false }
        }
        guard !host.isEmpty, let number = Int(port) else { return false }
        return (1...65535).contains(number)
    }
}
