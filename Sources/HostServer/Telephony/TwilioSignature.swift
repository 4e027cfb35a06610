import COpenSSL
import Foundation
import HostNet

/// Twilio's request signature (`X-Twilio-Signature`, Twilio's "Webhooks security" docs): base64
/// of HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio sent the request
/// to, followed — for a form-encoded POST — by every parameter's name and value, sorted by name.
/// The host checks it on every request Twilio makes to it (docs/protocol.md, "Twilio signatures").
package enum TwilioSignature {
    /// The header's value Twilio would send for `url` and `parameters` (decoded name/value pairs).
    package static func compute(authToken: String, url: String, parameters: [(String, String)] = []) -> String {
        // Sorted by name as bytes (Twilio's helper libraries sort the names; equal names by value).
        let sorted = parameters.sorted { lhs, rhs in
            lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8) || (lhs.0 == rhs.0 && lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8))
        }
        var data = Array(url.utf8)
        for (name, value) in sorted { data += Array(name.utf8) + Array(value.utf8) }
        let key = Array(authToken.utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBufferPointer { keyBytes in
            data.withUnsafeBufferPointer { bytes in
                HMAC(EVP_sha1(), keyBytes.baseAddress, Int32(keyBytes.count), bytes.baseAddress, bytes.count, &digest, &length)
            }
        }
        var out = [UInt8](repeating: 0, count: 29)   // 20 bytes -> 28 base64 characters + NUL
        let count = digest.withUnsafeBufferPointer { EVP_EncodeBlock(&out, $0.baseAddress, Int32(length)) }
        return String(decoding: out[..<Int(count)], as: UTF8.self)
    }

    /// Whether `header` is the signature of `url` and `parameters`; compared in constant time
    /// (CRYPTO_memcmp), so a forger learns nothing from how long a refusal took.
    package static func isValid(_ header: String?, authToken: String, url: String, parameters: [(String, String)] = []) -> Bool {
        guard let header else { return false }
        let expected = Array(compute(authToken: authToken, url: url, parameters: parameters).utf8)
        let given = Array(header.trimmingCharacters(in: .whitespaces).utf8)
        guard given.count == expected.count else { return false }
        return given.withUnsafeBufferPointer { a in expected.withUnsafeBufferPointer { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 } }
    }

    /// The POST parameters Twilio signs: the fields of an `application/x-www-form-urlencoded` body
    /// (`+` is a space, `%XX` a byte); none for any other body or method.
    package static func formParameters(_ request: HTTPRequest) -> [(String, String)] {
        guard request.method == "POST",
              request.headers["Content-Type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else { return [] }
        return request.bodyText.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text) }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The URL Twilio used for `request`: the tenant's `public_url` (scheme and host as Twilio
    /// reaches the TLS proxy) followed by the path and query the host received; `ws`/`wss` for
    /// the Media Stream's WebSocket handshake.
    package static func url(publicURL: String, request: HTTPRequest, webSocket: Bool = false) -> String {
        let base = webSocket
            ? publicURL.replacingOccurrences(of: "https://", with: "wss://").replacingOccurrences(of: "http://", with: "ws://")
            : publicURL
        return base + request.target
    }
}
