import Foundation

/// Whisper TwiML waiting for Twilio to fetch it (`/twilio/whisper/{token}`) when the person
/// answers. Tokens are 128 random bits and expire after 15 minutes. Loop-confined.
final class WhisperBoard: @unchecked Sendable {
    private var entries: [String: (twiml: String, expires: Date)] = [:]
    static let lifetime: TimeInterval = 15 * 60

    /// Keeps `summary` as `<Say>` TwiML; returns its token.
    func post(_ summary: String, now: Date = Date()) -> String {
        entries = entries.filter { $0.value.expires > now }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        entries[token] = (TwiML.say(summary), now.addingTimeInterval(Self.lifetime))
        return token
    }

    func twiml(_ token: String, now: Date = Date()) -> String? {
        guard let entry = entries[token], entry.expires > now else { return nil }
        return entry.twiml
    }
}
