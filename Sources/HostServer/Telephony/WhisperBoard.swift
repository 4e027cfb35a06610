import Foundation
import HostOrchestration
import Synchronization

/// Whisper TwiML waiting for Twilio to fetch it (`/twilio/whisper/{token}`) when the person
/// answers. Tokens are 128 random bits and expire after 15 minutes. [thread-safe]: with
/// `server.loops` > 1 every loop shares one board (`ServerLoops`), because Twilio's fetch is a new
/// connection the kernel may give to any loop, not the one whose call posted the whisper.
final class WhisperBoard: Sendable {
    /// The TwiML, the account whose auth token signs Twilio's fetch of it, and when it expires.
    private let entries = Mutex<[String: (twiml: String, account: TwilioAccount, expires: Date)]>([:])
    static let lifetime: TimeInterval = 15 * 60

    /// Keeps `summary` as `<Say>` TwiML for a call of `account`; returns its token.
    func post(_ summary: String, account: TwilioAccount, now: Date = Date()) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        let twiml = TwiML.say(summary)
        entries.withLock { entries in
            entries = entries.filter { $0.value.expires > now }
            entries[token] = (twiml, account, now.addingTimeInterval(Self.lifetime))
        }
        return token
    }

    func twiml(_ token: String, now: Date = Date()) -> (twiml: String, account: TwilioAccount)? {
        entries.withLock { entries in
            guard let entry = entries[token], entry.expires > now else { return nil }
            return (entry.twiml, entry.account)
        }
    }
}
