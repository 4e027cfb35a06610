import Foundation

/// A tenant's `sip:` section (docs/telephony.md, "SIP trunk"): which peers (the carrier's or the
/// PBX's signalling addresses) may place calls to its numbers. Anyone else gets 403.
public struct TenantSIP: Sendable, Equatable {
    public var allow: [IPNetwork] = []

    public init(allow: [IPNetwork] = []) { self.allow = allow }

    /// Whether a request from `address` (a numeric IP) may reach this tenant.
    public func allows(_ address: String) -> Bool {
        allow.contains { $0.contains(address) }
    }
}

/// An address block written as CIDR (`10.0.0.0/8`, `2001:db8::/32`) or one address.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefix: Int

    /// nil when `text` is not an IPv4/IPv6 address with an optional /prefix in range.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.bytes(String(parts[0])) else { return nil }
        let prefix: Int
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...address.count * 8).contains(bits) else { return nil }
            prefix = bits
        } else {
            prefix = address.count * 8
        }
        bytes = address
        self.prefix = prefix
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = bytes.withUnsafeBytes { inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/\(prefix)"
    }

    /// Whether `address` lies in the block (an IPv4-mapped IPv6 address counts as IPv4).
    public func contains(_ address: String) -> Bool {
        guard var other = Self.bytes(address) else { return false }
        if bytes.count == 4, other.count == 16, other[0..<10].allSatisfy({ $0 == 0 }), other[10] == 0xff, other[11] == 0xff {
            other = Array(other[12...])
        }
        guard other.count == bytes.count else { return false }
        var remaining = prefix
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if bytes[index] & mask != other[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
