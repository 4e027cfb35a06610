import Foundation
import Host
import XCTest

/// A tenant's `transfer:`, `twilio:`, `recording:` and `redact:` (docs/telephony.md).
extension HostConfigurationTests {
    func telephonyYAML(_ body: String) -> String {
        """
        tenants:
          - id: acme
            plugins: [com.x.a]
            entry_agent: com.x.a

        """ + body.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
    }

    func testPhoneSettingsAreReadWithTheTokenFromTheEnvironment() throws {
        let sid = "AC" + String(repeating: "ab", count: 16)
        let phone = try parse(telephonyYAML("""
            transfer: {billing: "+15550100", default: "sip:queue@pbx.example"}
            twilio: {account_sid: "\(sid)", auth_token_env: TW_TOKEN, public_url: "https://voice.example.com/"}
            recording: {directory: /var/rec, retention_days: 7, announce: "This call may be recorded."}
            redact: [card_number, email]
            """), environment: ["TW_TOKEN": "tok-secret"]).tenants[0].telephony
        XCTAssertEqual(phone.transferTarget(department: "billing"), "+15550100")
        XCTAssertEqual(phone.transferTarget(department: "refunds"), "sip:queue@pbx.example")
        XCTAssertEqual(phone.twilio?.accountSID, sid)
        XCTAssertEqual(phone.twilio?.authToken.reveal(), "tok-secret")
        XCTAssertEqual(phone.twilio?.publicURL, "https://voice.example.com")
        XCTAssertEqual(phone.twilio?.apiURL, "https://api.twilio.com")
        XCTAssertFalse("\(phone)".contains("tok-secret"), "the token prints as <redacted>")
        XCTAssertEqual(phone.recording?.retentionDays, 7)
        XCTAssertEqual(phone.recording?.announce, "This call may be recorded.")
        XCTAssertEqual(phone.redaction.kinds, [.cardNumber, .email])
    }

    func testBadPhoneSettingsSayWhatToFix() {
        let sid = "AC" + String(repeating: "ab", count: 16)
        let cases: [(String, String)] = [
            (#"transfer: {billing: "555-0100"}"#, "must be an E.164 number"),
            (#"transfer: {billing: "sip:<x>@pbx"}"#, "not a SIP URI"),
            (#"twilio: {account_sid: "AC1", auth_token_env: T, public_url: "https://v.example"}"#, "not a Twilio account SID"),
            (#"twilio: {account_sid: "\#(sid)", public_url: "https://v.example"}"#, "auth token is needed"),
            (#"twilio: {account_sid: "\#(sid)", auth_token_env: T, public_url: "https://v.example", api_url: "http://api.example.com"}"#, "travel unencrypted"),
            ("recording: {enabled: true}", "directory is required"),
            ("redact: [card_number, iban]", "unknown kind \"iban\""),
        ]
        for (body, expected) in cases {
            XCTAssertThrowsError(try parse(telephonyYAML(body), environment: ["T": "x"]), body) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(body): \(error)")
            }
        }
    }
}
