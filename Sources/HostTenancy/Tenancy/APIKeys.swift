import COpenSSL
import Foundation

/// Tenant API keys. The configuration stores only hashes, `sha256:<64 lowercase hex>`
/// (`agent-host hash-key KEY` prints one); a presented key is hashed and compared in constant time.
public enum APIKeys {
    public static let hashPrefix = "sha256:"

    /// "sha256:" + the lowercase hex SHA-256 of the key's UTF-8 bytes.
    public static func hash(_ key: String) -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var bytes = Array(key.utf8)
        let count = bytes.count
        bytes.withUnsafeMutableBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                _ = SHA256(input.baseAddress, count, output.baseAddress)
            }
        }
        return hashPrefix + hex(digest)
    }

    /// True when `hash` is a well-formed stored hash: "sha256:" and 64 hex digits (either case).
    public static func isValidHash(_ hash: String) -> Bool {
        guard hash.hasPrefix(hashPrefix) else { return false }
        let digits = hash.utf8.dropFirst(hashPrefix.utf8.count)
        return digits.count == 64 && digits.allSatisfy { isHexDigit($0) }
    }

    /// True when `presented` hashes to one of `hashes`. Every stored hash is compared, each in time
    /// independent of where they differ, so timing tells nothing about the stored values.
    /// An empty key never matches; an empty list matches nothing (whether a tenant needs a key at
    /// all is `TenantPolicy.accepts`).
    public static func verify(_ presented: String, against hashes: [String]) -> Bool {
        guard !presented.isEmpty else { return false }
        let candidate = Array(hash(presented).utf8)
        var matched: UInt8 = 0
        for stored in hashes {
            matched |= constantTimeEqual(candidate, Array(stored.lowercased().utf8)) ? 1 : 0
        }
        return matched != 0
    }

    /// The token of an `Authorization: Bearer TOKEN` header value; nil for any other scheme.
    public static func bearerToken(fromAuthorization header: String?) -> String? {
        guard let header = header?.trimmingCharacters(in: .whitespaces) else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        // Lengths are public (every valid hash is 71 bytes); contents are compared without early exit.
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
