import Foundation
import Host
import HostModels
import HostNet
import HostOrchestration
@testable import HostServer
import HostVoice
import TestSupport
import XCTest

/// `X-Twilio-Signature` on every request Twilio makes to the host: the whisper fetch (form POST)
/// and the Media Stream's WebSocket handshake. The expected values are computed by the `openssl`
/// command (TwilioTestSignature), not by the host's code.
final class TwilioSignatureTests: ServerTestCase {
    private let token = "test-auth-token-0123456789"
    private let publicURL = "https://voice.example.com"

    override func setUp() async throws {
        let (token, publicURL) = (self.token, self.publicURL)
        // "demo" takes Twilio calls for an account; "secure" has no twilio: settings.
        try startServer { configuration in
            configuration.telephony.twilio = TwilioAccount(accountSID: "AC" + String(repeating: "ab", count: 16), authToken: Secret(token), publicURL: publicURL)
        }
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    func testTheSignatureIsOpenSSLsHMACSHA1OverTheURLAndTheSortedParameters() throws {
        let vectors: [(String, String, [String: String])] = [
            ("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
             ["CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030", "To": "+18005551212"]),
            (token, "wss://voice.example.com/twilio/media", [:]),
            (token, "https://voice.example.com/twilio/whisper/abc", ["b": "two words", "a": "ü&=+", "Z": ""]),
        ]
        for (key, url, parameters) in vectors {
            let expected = try TwilioTestSignature.sign(authToken: key, url: url, parameters: parameters)
            XCTAssertEqual(TwilioSignature.compute(authToken: key, url: url, parameters: parameters.map { ($0.key, $0.value) }), expected, url)
            XCTAssertTrue(TwilioSignature.isValid(expected, authToken: key, url: url, parameters: Array(parameters)))
            XCTAssertFalse(TwilioSignature.isValid(expected, authToken: key + "x", url: url, parameters: Array(parameters)), "another token")
            XCTAssertFalse(TwilioSignature.isValid(String(expected.dropLast()), authToken: key, url: url, parameters: Array(parameters)), "truncated")
        }
    }

    func testAWhisperIsServedOnlyToARequestSignedForItsURLAndForm() async throws {
        let account = try XCTUnwrap(deployment.tenant.configuration.telephony.twilio)
        let whisper = try XCTUnwrap(deployment.loop.submitAndWait { [server] in
            server!.telephony.whispers.post("Caller for the billing team.", account: account)
        })
        let path = "/twilio/whisper/\(whisper)"
        let fields = ["CallSid": "CA" + String(repeating: "f", count: 32), "AccountSid": account.accountSID,
                      "To": "+15550100", "CallStatus": "in-progress", "Direction": "outbound-dial"]
        let signed = try TwilioTestSignature.sign(authToken: token, url: publicURL + path, parameters: fields)

        let accepted = try await post(path, fields, signature: signed)
        XCTAssertEqual(accepted.status, 200, accepted.body)
        XCTAssertTrue(accepted.body.contains("<Say>Caller for the billing team.</Say>"), accepted.body)

        let unsigned = try await post(path, fields, signature: nil)
        XCTAssertEqual(unsigned.status, 403)
        XCTAssertTrue(unsigned.body.contains("no X-Twilio-Signature header"), unsigned.body)

        var tampered = fields
        tampered["To"] = "+15559999"
        let changed = try await post(path, tampered, signature: signed)
        XCTAssertEqual(changed.status, 403, "a changed parameter breaks the signature")
        XCTAssertTrue(changed.body.contains("does not match https://voice.example.com\(path)"), changed.body)

        let otherURL = try TwilioTestSignature.sign(authToken: token, url: "https://attacker.example.com" + path, parameters: fields)
        let wrongURL = try await post(path, fields, signature: otherURL)
        XCTAssertEqual(wrongURL.status, 403, "signed for another URL")

        // GET: the URL (with its query) is all that is signed.
        let query = path + "?CallSid=CA1"
        let get = try await request("GET", query, headers: [("X-Twilio-Signature", try TwilioTestSignature.sign(authToken: token, url: publicURL + query))])
        XCTAssertEqual(get.status, 200, get.body)

        XCTAssertEqual(deployment.services.metrics.counter("agent_host_errors_total", labels: ["kind": "twilio_signature"]), 3, "refusals are counted")
    }

    func testAMediaStreamOpensOnlyWithASignedHandshake() async throws {
        let ws = base.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media"
        let start = #"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"customParameters":{"tenant":"demo","caller":"+15551112222"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"}"#

        // A signature no tenant's token and public_url produce: 403 at the handshake.
        let forged = try TwilioTestSignature.streamHeaders(authToken: "not-the-token", url: "wss://voice.example.com/twilio/media")
        XCTAssertThrowsError(try VoiceTestCaller(url: ws, headers: forged)) { error in
            XCTAssertEqual((error as? WebSocketClientError)?.status, 403, "\(error)")
            XCTAssertTrue((error as? WebSocketClientError)?.message.contains("X-Twilio-Signature") == true, "\(error)")
        }

        // Unsigned: "secure" (no twilio:) could own it, so the handshake passes; demo's start is refused.
        let unsigned = try VoiceTestCaller(url: ws)
        unsigned.socket.send(text: start)
        let closed = try await unsigned.wait(seconds: 10) { $0.contains { if case .closed = $0.message { true } else { false } } }
        XCTAssertTrue(closed, "an unsigned stream for a tenant with twilio: is closed")
        if case .closed(let code, let reason)? = unsigned.received.last?.message {
            XCTAssertEqual(code, 1008)
            XCTAssertTrue(reason.contains("signed"), reason)
        }
        XCTAssertFalse(unsigned.events.contains { $0["event"] as? String == "media" }, "nothing is played to it")
        unsigned.close()

        // Signed over the public stream URL: the call opens and the agent greets.
        let signed = try VoiceTestCaller(url: ws, headers: try TwilioTestSignature.streamHeaders(authToken: token, url: "wss://voice.example.com/twilio/media"))
        signed.socket.send(text: start)
        let greeted = try await signed.wait(seconds: 15) { $0.contains { $0.json?["event"] as? String == "media" } }
        XCTAssertTrue(greeted, "a signed stream is answered")
        signed.close()
    }

    private func post(_ path: String, _ fields: [String: String], signature: String?) async throws -> Reply {
        var request = ClientRequest(method: "POST", url: base + path)
        request.headers = ["Content-Type": "application/x-www-form-urlencoded"]
        if let signature { request.headers["X-Twilio-Signature"] = signature }
        request.body = Array(TwilioRESTStandIn.form(fields).utf8)
        let response = try await client.send(request)
        return Reply(status: response.status, body: String(decoding: response.body, as: UTF8.self))
    }
}
