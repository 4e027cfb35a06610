import FuzzKit
import HostNet

/// `HTTPRequestParser` driven the way `HTTPConnection` drives it (bytes gathered in an inbox,
/// fed until the parser stops, resumed after each request). The first input byte picks the mode:
/// - even: the rest is raw bytes from a client; feeding them whole and in pieces must give the
///   same requests and the same failure, and the parser never stops with bytes it did not take
///   unless it reported an event (or the connection would stall);
/// - odd: the rest is the script of a well-formed request (method, percent-encoded path and
///   query, headers, a body sent with Content-Length or chunked) followed by a pipelined GET;
///   parsing must give back exactly those two requests.
enum HTTPParserTarget {
    static let target = FuzzTarget(
        name: "http-parser",
        summary: "HTTP/1.1 request parser: whole vs split feeding, pipelining, generated requests round trip",
        dictionary: ["GET ", "POST ", "HEAD ", "PUT ", "CONNECT ", " HTTP/1.1\r\n", " HTTP/1.0\r\n", "\r\n", "\r\n\r\n", "\n",
                     "Host: x\r\n", "Content-Length: ", "Content-Length: 0\r\n", "Content-Length: 5\r\n",
                     "Transfer-Encoding: chunked\r\n", "0\r\n\r\n", "5\r\nhello\r\n", "ffffffffffffffff\r\n",
                     "Expect: 100-continue\r\n", "Connection: close\r\n", "Connection: keep-alive\r\n", "Connection: upgrade\r\n",
                     "Upgrade: websocket\r\n", ": ", " ", "\t", "%", "%2F", "%00", "%zz", "?", "&", "=", "+", "#", "/..", "*"],
        maxInputLength: 16_384
    ) { input throws(FuzzFailure) in
        guard let mode = input.first else { return 0 }
        let data = Array(input.dropFirst())
        return mode & 1 == 0 ? try raw(mode: mode, data) : try roundTrip(data)
    }

    /// Small limits in half the cases, so 413/431 paths run too.
    static func limits(_ mode: UInt8) -> (header: Int, body: Int) {
        mode & 2 == 0 ? (16 * 1024, 1 << 20) : (256, 64)
    }

    static func raw(mode: UInt8, _ data: [UInt8]) throws(FuzzFailure) -> UInt64 {
        let limits = limits(mode)
        let whole = try run([data], limits)
        let split = try run(pieces(data), limits)
        // The same requests either way. When both end in a failure its status may differ: a
        // size limit (413/431) can be reached before http-parser sees the bad byte, or after.
        try fuzzCheckEqual(split.map(\.failureKind), whole.map(\.failureKind), "requests from pieces vs whole")
        return signature([bucket(whole.count)] + Set(whole.map { $0.hasPrefix("failure") ? $0 : String($0.prefix(12)) }).sorted())
    }

    static func roundTrip(_ data: [UInt8]) throws(FuzzFailure) -> UInt64 {
        var reader = ByteReader(data)
        let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
        let method = methods[Int(reader.next() ?? 0) % methods.count]
        let pathBytes = reader.take(Int(reader.next() ?? 0) % 48)
        var target = "/" + percentEncoded(pathBytes)
        var query: [HTTPQueryItem] = []
        for _ in 0..<Int(reader.next() ?? 0) % 4 {
            let name = reader.take(1 + Int(reader.next() ?? 0) % 8)
            let value = reader.take(Int(reader.next() ?? 0) % 12)
            target += (query.isEmpty ? "?" : "&") + percentEncoded(name) + "=" + percentEncoded(value)
            query.append(HTTPQueryItem(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        var headers: [(String, String)] = [("Host", "fuzz")]
        for _ in 0..<Int(reader.next() ?? 0) % 6 {
            let name = "X-" + String(reader.take(1 + Int(reader.next() ?? 0) % 10).map { tokenCharacters[Int($0) % tokenCharacters.count] })
            var value = String(reader.take(Int(reader.next() ?? 0) % 20).map { Character(UnicodeScalar(0x21 + $0 % 94)) })
            if value.count > 2 { value.insert(" ", at: value.index(after: value.startIndex)) }   // inner spaces stay
            headers.append((name, value))
        }
        let body = reader.take(Int(reader.next() ?? 0) * 3)
        let chunked = (reader.next() ?? 0) & 1 == 1
        var wire = Array("\(method) \(target) HTTP/1.1\r\n".utf8)
        for (name, value) in headers { wire += Array("\(name): \(value)\r\n".utf8) }
        if chunked {
            wire += Array("Transfer-Encoding: chunked\r\n\r\n".utf8)
            var random = FuzzRandom(seed: StableHash.of(body))
            var start = 0
            while start < body.count {
                let end = Swift.min(body.count, start + 1 + random.below(40))
                wire += Array("\(String(end - start, radix: 16))\r\n".utf8) + body[start..<end] + Array("\r\n".utf8)
                start = end
            }
            wire += Array("0\r\n\r\n".utf8)
        } else {
            wire += Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        }
        wire += Array("GET /next HTTP/1.1\r\nHost: fuzz\r\n\r\n".utf8)

        var expectedHeaders = headers
        expectedHeaders.append(chunked ? ("Transfer-Encoding", "chunked") : ("Content-Length", "\(body.count)"))
        var first = HTTPRequest(method: method, target: target, headers: HTTPHeaders(expectedHeaders), body: body)
        first.path = "/" + String(decoding: pathBytes, as: UTF8.self)   // what percent-decoding must give back
        first.queryItems = query
        let expected = [describe(first), describe(HTTPRequest(method: "GET", target: "/next", headers: ["Host": "fuzz"]))]
        let parsed = try run(pieces(wire), (1 << 20, 1 << 20))
        try fuzzCheckEqual(parsed, expected, "parsed vs generated requests")
        return signature(["round trip", method, chunked ? "chunked" : "length"])
    }

    static let tokenCharacters = Array("abcdefghijklmnopqrstuvwxyz0123456789-")

    static func percentEncoded(_ bytes: [UInt8]) -> String {
        var out = ""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    /// Everything a handler sees of a request, as one comparable string.
    static func describe(_ request: HTTPRequest) -> String {
        "request \(request.method) \(request.target) path=\(request.path) query=\(request.queryItems.map { "\($0.name)=\($0.value ?? "nil")" }) "
            + "headers=\(request.headers.fields.map { "\($0.name): \($0.value)" }) body=\(request.body) version=\(request.version) "
            + "keepAlive=\(request.keepAlive) upgrade=\(request.isUpgrade)"
    }

    /// Feeds `chunks` as HTTPConnection does; returns every event, ending at the first failure.
    static func run(_ chunks: [[UInt8]], _ limits: (header: Int, body: Int)) throws(FuzzFailure) -> [String] {
        let parser = HTTPRequestParser(maxHeaderBytes: limits.header, maxBodyBytes: limits.body)
        var inbox: [UInt8] = []
        var events: [String] = []
        for chunk in chunks {
            inbox += chunk
            while !inbox.isEmpty {
                let (consumed, event) = inbox.withUnsafeBytes { parser.feed($0) }
                try fuzzCheck(consumed >= 0 && consumed <= inbox.count, "consumed \(consumed) of \(inbox.count) bytes")
                switch event {
                case nil:
                    // Waiting for more input is only right once everything given was taken.
                    try fuzzCheckEqual(consumed, inbox.count, "bytes taken when the parser stopped without an event")
                    inbox.removeAll()
                case .expectContinue:
                    inbox.removeFirst(consumed)
                    events.append("100-continue")
                    parser.resume()
                case .request(let request):
                    inbox.removeFirst(consumed)
                    events.append(describe(request))
                    parser.resume()
                case .failure(let status, let reason):
                    try fuzzCheck([400, 413, 431, 505].contains(status), "failure status \(status)")
                    events.append("failure \(status) \(reason)")
                    return events
                }
            }
        }
        return events
    }
}

extension String {
    /// A request's description as is; any failure as just "failure".
    var failureKind: String { hasPrefix("failure") ? "failure" : self }
}
