import Glibc

/// Raw HTTP/1.1 over loopback for fuzzing servers: any bytes go out exactly as given (a client
/// library would refuse or repair most fuzzed requests), and what comes back is split into
/// responses by the rules a client uses (status line, headers, Content-Length).
public enum HTTPWire {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [(name: String, value: String)]
        public let body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Connects to 127.0.0.1:`port`, writes `bytes` and reads until the server closes. A server
    /// that neither closes nor answers within `timeoutSeconds` is a `Problem`, as is a refused
    /// connection (nobody listening: the server died).
    public static func exchange(port: Int, _ bytes: [UInt8], timeoutSeconds: Int = 2) throws(Problem) -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Problem(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Problem(description: "cannot connect to port \(port): errno \(errno) (is the server still up?)") }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }   // the server closed early (e.g. after a 400): read what it said
            sent += n
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { reply += buffer[..<n]; continue }
            if n == 0 || errno == ECONNRESET { return reply }
            throw Problem(description: "no answer and no close within \(timeoutSeconds) s (errno \(errno)); got \(shown(reply))")
        }
    }

    /// The responses in `reply`, in order. `bodiless` says which have no body whatever their
    /// Content-Length says (answers to HEAD); parsing stops after a 101 (another protocol follows).
    public static func responses(_ reply: [UInt8], bodiless: (Int) -> Bool = { _ in false }) throws(Problem) -> [Response] {
        var out: [Response] = []
        var rest = reply[...]
        while !rest.isEmpty {
            guard let end = find([13, 10, 13, 10], in: rest) else {
                throw Problem(description: "a response without the end of its head: \(shown(Array(rest)))")
            }
            let head = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
            rest = rest[(end + 4)...]
            var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0", parts[1].count == 3,
                  let status = Int(parts[1]), (100...599).contains(status) else {
                throw Problem(description: "malformed status line \(statusLine.debugDescription)")
            }
            var headers: [(name: String, value: String)] = []
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { throw Problem(description: "malformed header line \(line.debugDescription)") }
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces))
            }
            var length = 0
            if !bodiless(out.count), status != 101, status != 204, status != 304,
               let value = headers.first(where: { $0.name.lowercased() == "content-length" })?.value {
                guard let parsed = Int(value), parsed >= 0 else { throw Problem(description: "bad Content-Length \(value.debugDescription)") }
                length = parsed
            }
            guard rest.count >= length else {
                throw Problem(description: "a body shorter (\(rest.count)) than its Content-Length (\(length)) after \(statusLine)")
            }
            out.append(Response(status: status, headers: headers, body: Array(rest.prefix(length))))
            rest = rest.dropFirst(length)
            if status == 101 { break }
        }
        return out
    }

    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = haystack.startIndex
        while i + needle.count <= haystack.endIndex {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// A short, printable rendering of bytes for messages.
    public static func shown(_ bytes: [UInt8], limit: Int = 160) -> String {
        let text = bytes.prefix(limit).map { byte -> String in
            (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\\") ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
        }.joined()
        return bytes.count > limit ? text + "…(\(bytes.count) bytes)" : text
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
