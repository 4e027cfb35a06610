import Foundation
import HostOrchestration

/// Whisper TwiML waiting for Twilio to fetch it (`/twilio/whisper/{token}`) when the person
/// answers. Tokens are 128 random bits and expire after 15 minutes. Loop-confined.
final class WhisperBoard: @unchecked Sendable {
    /// The TwiML, the account whose auth token signs Twilio's fetch of it, and when it expires.
    private var entries: [String: (twiml: String, account: TwilioAccount, expires: Date)] = [:]
    static let lifetime: TimeInterval = 15 * 60

    /// Keeps `summary` as `<Say>` TwiML for a call of `account`; returns its token.
    func post(_ summary: String, account: TwilioAccount, now: Date = Date()) -> String {
        entries = entries.filter { $0.value.expires > now }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        entries[token] = (TwiML.say(summary), account, now.addingTimeInterval(Self.lifetime))
        return token
    }

    func twiml(_ token: String, now: Date = Date()) -> (twiml: String, account: TwilioAccount)? {
        guard let entry = entries[token], entry.expires > now else { return nil }
        return (entry.twiml, entry.account)
    }
}
