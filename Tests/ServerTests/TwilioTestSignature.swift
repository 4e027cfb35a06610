import Foundation
import HostNet
import TestSupport

/// `X-Twilio-Signature` as Twilio computes it, worked out independently of the host's code: the
/// HMAC-SHA1 comes from the `openssl dgst` command (a real process), the base64 from Foundation.
/// For the stand-ins of Twilio's side in the tests (Media Stream handshakes, whisper fetches).
enum TwilioTestSignature {
    /// base64(HMAC-SHA1(authToken, url + name1 + value1 + …)), parameters sorted by name.
    static func sign(authToken: String, url: String, parameters: [String: String] = [:]) throws -> String {
        let data = parameters.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.reduce(url) { $0 + $1 + parameters[$1]! }
        let result = try ProcessRunner.run("openssl", ["dgst", "-sha1", "-hmac", authToken], input: data, timeoutSeconds: 30)
        guard result.status == 0, let hex = result.stdout.split(separator: "=").last?.trimmingCharacters(in: .whitespacesAndNewlines),
              hex.count == 40 else { throw SignFailed(output: result.stdout + result.stderr) }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { throw SignFailed(output: hex) }
            bytes.append(byte)
            index = next
        }
        return Data(bytes).base64EncodedString()
    }

    /// The handshake headers of a Media Stream Twilio opens to `url` (no parameters are signed).
    static func streamHeaders(authToken: String, url: String) throws -> HTTPHeaders {
        ["X-Twilio-Signature": try sign(authToken: authToken, url: url)]
    }

    struct SignFailed: Error { let output: String }
}
