import Foundation
import Host
import HostOrchestration
import XCTest

/// The host's `sip:` and a tenant's `sip: {allow:}` (docs/telephony.md, "SIP trunk").
extension HostConfigurationTests {
    private func sipYAML(_ top: String, tenant: String = #"sip: {allow: ["10.0.0.0/8", "192.0.2.7"]}"#) -> String {
        telephonyYAML(tenant) + top + "\n"
    }

    func testTheSIPTrunkIsReadWithItsNumbersAndTheTenantsAllowedPeers() throws {
        let configuration = try parse(sipYAML(#"sip: {listen: ["udp:127.0.0.1:5070", "tcp:127.0.0.1:5070"], tenants: {"+15550001": acme}}"#))
        let sip = try XCTUnwrap(configuration.sip)
        XCTAssertEqual(sip.tenants, ["+15550001": "acme"])
        XCTAssertEqual(sip.sofiaURL, "sip:127.0.0.1:5070", "UDP and TCP on one address")
        XCTAssertEqual(sip.mediaAddress, "127.0.0.1")
        let allowed = try XCTUnwrap(configuration.tenants[0].telephony.sip)
        XCTAssertTrue(allowed.allows("10.20.30.40"))
        XCTAssertTrue(allowed.allows("192.0.2.7"))
        XCTAssertTrue(allowed.allows("::ffff:10.1.1.1"), "an IPv4-mapped address counts as IPv4")
        XCTAssertFalse(allowed.allows("192.0.2.8"))
        XCTAssertFalse(allowed.allows("11.0.0.1"))

        let udpOnly = try parse(sipYAML(#"sip: {listen: "udp:0.0.0.0:5060", media_address: 203.0.113.5, tenants: {"+15550001": acme}}"#))
        XCTAssertEqual(udpOnly.sip?.sofiaURL, "sip:0.0.0.0:5060;transport=udp")
        XCTAssertEqual(udpOnly.sip?.mediaAddress, "203.0.113.5")
    }

    func testBadSIPSettingsSayWhatToFix() {
        let cases: [(String, String, String?)] = [
            (#"sip: {tenants: {"+15550001": acme}}"#, "where the SIP stack listens is required", nil),
            (#"sip: {listen: "sctp:127.0.0.1:5060", tenants: {"+15550001": acme}}"#, "must be udp:HOST:PORT or tcp:HOST:PORT", nil),
            (#"sip: {listen: "udp:pbx.example:5060", tenants: {"+15550001": acme}}"#, "is not an IP address", nil),
            (#"sip: {listen: "udp:127.0.0.1:70000", tenants: {"+15550001": acme}}"#, "the port must be 1 to 65535", nil),
            (#"sip: {listen: ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5061"], tenants: {"+15550001": acme}}"#, "listens on one address", nil),
            (#"sip: {listen: "udp:0.0.0.0:5060", tenants: {"+15550001": acme}}"#, "needs media_address", nil),
            (#"sip: {listen: "udp:127.0.0.1:5060"}"#, "must map called numbers to tenants", nil),
            (#"sip: {listen: "udp:127.0.0.1:5060", tenants: {"+15550001": globex}}"#, "\"globex\" is not one of the tenants", nil),
            (#"sip: {listen: "udp:127.0.0.1:5060", tenants: {"+1 555": acme}}"#, "is not a called number", nil),
            (#"sip: {listen: "udp:127.0.0.1:5060", tenants: {"+15550001": acme}}"#, "has no sip: {allow: [...]} section", "transfer: {}"),
            (#"sip: {listen: "udp:127.0.0.1:5060", tenants: {"+15550001": acme}}"#, "is not an address or CIDR block", #"sip: {allow: ["10.0.0.0/33"]}"#),
            (#"sip: {listen: "udp:127.0.0.1:5060", tenants: {"+15550001": acme}}"#, "list the peers", "sip: {allow: []}"),
        ]
        for (top, expected, tenant) in cases {
            let yaml = tenant.map { sipYAML(top, tenant: $0) } ?? sipYAML(top)
            XCTAssertThrowsError(try parse(yaml), top) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(top): \(error)")
            }
        }
    }
}
