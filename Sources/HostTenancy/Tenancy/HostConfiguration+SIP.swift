import Foundation
import HostOrchestration
import Yams

/// The host's `sip:` section and a tenant's `sip:` (docs/telephony.md, "SIP trunk").
extension HostConfiguration {
    static let sipKeys = ["listen", "tenants", "media_address"]
    static let tenantSIPKeys = ["allow"]

    /// `sip: {listen: "udp:127.0.0.1:5060" | [udp:…, tcp:…], tenants: {"+15550001": acme}}`.
    /// Every number's tenant must exist and say which peers may call it (`sip: {allow: […]}`).
    static func parseSIP(_ section: ConfigurationMapping?, tenants: [Tenant]) throws(ConfigurationError) -> SIPTrunkConfiguration? {
        guard let section else { return nil }
        var written: [(value: String, node: Node)] = []
        if let one = try? section.string("listen") {
            written = [(one, section.value("listen")!)]
        } else if let list = try section.stringList("listen") {
            written = list
        }
        guard !written.isEmpty else {
            throw section.fail("listen", "where the SIP stack listens is required, e.g. listen: [\"udp:0.0.0.0:5060\", \"tcp:0.0.0.0:5060\"]")
        }
        var listen: [SIPTrunkConfiguration.Listen] = []
        for item in written {
            let parts = item.value.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let transport = SIPTrunkConfiguration.Transport(rawValue: String(parts[0]).lowercased()),
                  let colon = parts[1].lastIndex(of: ":") else {
                throw section.fail(at: item.node, "listen", "\"\(item.value)\" must be udp:HOST:PORT or tcp:HOST:PORT, e.g. udp:0.0.0.0:5060")
            }
            var host = String(parts[1][..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard isIPAddress(host) else {
                throw section.fail(at: item.node, "listen", "\"\(host)\" is not an IP address (names are not resolved)")
            }
            guard let port = Int(parts[1][parts[1].index(after: colon)...]), (1...65_535).contains(port) else {
                throw section.fail(at: item.node, "listen", "\"\(item.value)\": the port must be 1 to 65535")
            }
            let entry = SIPTrunkConfiguration.Listen(transport: transport, host: host, port: port)
            if let first = listen.first, first.host != host || first.port != port {
                throw section.fail(at: item.node, "listen", "the SIP stack listens on one address, by UDP, TCP or both: \(item.value) differs from \(first.transport.rawValue):\(first.host):\(first.port)")
            }
            if listen.contains(entry) { throw section.fail(at: item.node, "listen", "\"\(item.value)\" is listed twice") }
            listen.append(entry)
        }
        guard let numbersNode = section.value("tenants"), case .mapping(let numbers) = numbersNode, !numbers.isEmpty else {
            throw section.fail("tenants", "must map called numbers to tenants, e.g. tenants: {\"+15550001\": acme}")
        }
        var routes: [String: String] = [:]
        for (key, value) in numbers {
            guard case .scalar(let number) = key, case .scalar(let tenant) = value else {
                throw section.fail(at: key, "tenants", "each entry is \"+15550001\": tenant-id")
            }
            guard !number.string.isEmpty, number.string.count <= 64,
                  number.string.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "+-_.".unicodeScalars.contains($0)) }) else {
                throw section.fail(at: key, "tenants", "\"\(number.string)\" is not a called number (the Request-URI's user part: +, digits, letters, - _ .)")
            }
            guard let served = tenants.first(where: { $0.id == tenant.string }) else {
                let known = tenants.map { "\"\($0.id)\"" }.joined(separator: ", ")
                throw section.fail(at: value, "tenants", "\(number.string): \"\(tenant.string)\" is not one of the tenants (\(known))")
            }
            guard served.telephony.sip != nil else {
                throw section.fail(at: value, "tenants", "\(number.string): tenant \"\(tenant.string)\" has no sip: {allow: [...]} section saying which peers may call it")
            }
            routes[number.string] = tenant.string
        }
        var mediaAddress = listen[0].host
        if let written = try section.string("media_address") {
            guard isIPAddress(written), written != "0.0.0.0", written != "::" else {
                throw section.fail("media_address", "\"\(written)\" must be the IP address peers send RTP to (e.g. 203.0.113.5)")
            }
            mediaAddress = written
        } else if mediaAddress == "0.0.0.0" || mediaAddress == "::" {
            throw section.fail("listen", "listening on \(mediaAddress) needs media_address: the IP address peers send RTP to (SDP cannot say \(mediaAddress))")
        }
        return SIPTrunkConfiguration(listen: listen, tenants: routes, mediaAddress: mediaAddress)
    }

    /// A tenant's `sip: {allow: ["203.0.113.0/24", "10.0.0.5"]}`.
    static func parseTenantSIP(_ entry: ConfigurationMapping) throws(ConfigurationError) -> TenantSIP? {
        guard let section = try entry.mapping("sip", allowed: tenantSIPKeys) else { return nil }
        guard let list = try section.stringList("allow"), !list.isEmpty else {
            throw section.fail("allow", "list the peers (CIDR blocks or addresses) allowed to call this tenant, e.g. allow: [\"203.0.113.0/24\"]")
        }
        var sip = TenantSIP()
        for item in list {
            guard let network = IPNetwork(item.value) else {
                throw section.fail(at: item.node, "allow", "\"\(item.value)\" is not an address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)")
            }
            sip.allow.append(network)
        }
        return sip
    }
}
