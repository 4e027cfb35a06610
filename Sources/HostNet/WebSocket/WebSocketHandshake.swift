import COpenSSL

/// The opening handshake (RFC 6455 §4): the server's checks of the upgrade request, the
/// `Sec-WebSocket-Accept` value, and the client's key. SHA-1 and base64 come from OpenSSL.
public enum WebSocketHandshake {
    /// The GUID RFC 6455 appends to the client's key.
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// base64(SHA-1(key + GUID)): what the server answers in `Sec-WebSocket-Accept`.
    public static func acceptValue(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        _ = input.withUnsafeBufferPointer { SHA1($0.baseAddress, $0.count, &digest) }
        return base64(digest)
    }

    /// A fresh client key: 16 random bytes, base64-encoded (24 characters).
    public static func makeKey() -> String { base64(randomBytes(16)) }

    /// Whether `request` tries to open a WebSocket (well-formed or not): it names `websocket` in
    /// `Upgrade` or carries a `Sec-WebSocket-Key`. Other requests stay plain HTTP.
    static func isAttempt(_ request: HTTPRequest) -> Bool {
        hasToken(request.headers.values("Upgrade"), "websocket") || request.headers.contains("Sec-WebSocket-Key")
    }

    /// Checks an upgrade request; returns the `Sec-WebSocket-Accept` value, or the response that
    /// refuses it (400 for a malformed request, 426 for a missing upgrade or another version).
    static func validate(_ request: HTTPRequest) -> Result<String, Refusal> {
        guard request.method == "GET" else { return .failure(Refusal(400, "WebSocket handshake must be a GET request")) }
        guard request.version == "1.1" else { return .failure(Refusal(400, "WebSocket handshake needs HTTP/1.1")) }
        guard hasToken(request.headers.values("Upgrade"), "websocket") else {
            return .failure(Refusal(426, "this endpoint needs 'Upgrade: websocket'", headers: ["Upgrade": "websocket"]))
        }
        guard hasToken(request.headers.values("Connection"), "upgrade") else {
            return .failure(Refusal(400, "WebSocket handshake needs 'Connection: Upgrade'"))
        }
        guard request.headers.values("Sec-WebSocket-Version").count == 1, request.headers["Sec-WebSocket-Version"] == "13" else {
            return .failure(Refusal(426, "unsupported Sec-WebSocket-Version (this server speaks 13)", headers: ["Sec-WebSocket-Version": "13"]))
        }
        let keys = request.headers.values("Sec-WebSocket-Key")
        guard keys.count == 1, let key = keys.first, isValidKey(key) else {
            return .failure(Refusal(400, "Sec-WebSocket-Key must be 16 bytes in base64"))
        }
        return .success(acceptValue(forKey: key))
    }

    /// A refused handshake, answered as plain HTTP (a JSON error) before the connection closes.
    struct Refusal: Error {
        let response: HTTPResponse
        init(_ status: Int, _ reason: String, headers: HTTPHeaders = [:]) {
            var response = HTTPResponse.error(status, reason)
            for (name, value) in headers { response.headers[name] = value }
            self.response = response
        }
    }

    /// The server's `101 Switching Protocols` answer.
    static func switchingProtocols(accept: String) -> [UInt8] {
        Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n".utf8)
    }

    // MARK: helpers

    /// 24 base64 characters ending in "==" that decode to 16 bytes.
    static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        var decoded = [UInt8](repeating: 0, count: 18)
        // EVP_DecodeBlock counts the two padding bytes: 24 characters always give 18.
        let count = bytes.withUnsafeBufferPointer { EVP_DecodeBlock(&decoded, $0.baseAddress, Int32($0.count)) }
        return count == 18
    }

    static func base64(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4 + 1)   // + NUL
        let count = bytes.withUnsafeBufferPointer { EVP_EncodeBlock(&out, $0.baseAddress, Int32($0.count)) }
        return String(decoding: out[..<Int(count)], as: UTF8.self)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        if RAND_bytes(&bytes, Int32(count)) != 1 {
            // OpenSSL's generator failing is near impossible; the system generator stands in.
            var generator = SystemRandomNumberGenerator()
            for i in bytes.indices { bytes[i] = generator.next() }
        }
        return bytes
    }

    /// A random 32-bit frame mask (RFC 6455 §5.3: unpredictable, fresh per frame).
    static func randomMask() -> UInt32 {
        var key: UInt32 = 0
        if withUnsafeMutableBytes(of: &key, { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), 4) }) != 1 {
            key = UInt32.random(in: .min ... .max)
        }
        return key
    }

    /// Whether a comma-separated header (possibly repeated) lists `token`, ignoring case.
    static func hasToken(_ values: [String], _ token: String) -> Bool {
        values.contains { value in
            value.split(separator: ",").contains { HTTPHeaders.same($0.trimmingSpaces, token) }
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
