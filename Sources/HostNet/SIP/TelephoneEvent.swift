/// RFC 4733 telephone-events (DTMF over RTP): event, end bit, volume, duration. A digit is
/// reported once, at its first end packet (the sender repeats the end packet three times, all
/// with the event's timestamp). Pure value.
public struct TelephoneEvent: Equatable, Sendable {
    public var event: UInt8
    public var end: Bool
    public var volume: UInt8
    public var duration: UInt16

    public init(event: UInt8, end: Bool, volume: UInt8 = 10, duration: UInt16) {
        self.event = event
        self.end = end
        self.volume = volume
        self.duration = duration
    }

    public init?(_ payload: [UInt8]) {
        guard payload.count >= 4 else { return nil }
        event = payload[0]
        end = payload[1] & 0x80 != 0
        volume = payload[1] & 0x3f
        duration = UInt16(payload[2]) << 8 | UInt16(payload[3])
    }

    public var bytes: [UInt8] { [event, (end ? 0x80 : 0) | (volume & 0x3f), UInt8(duration >> 8), UInt8(duration & 0xff)] }

    static let keys: [Character] = Array("0123456789*#ABCD")

    /// The key of events 0–15 ("0"–"9", "*", "#", "A"–"D"); nil for tones that are no key.
    public var key: Character? { Int(event) < Self.keys.count ? Self.keys[Int(event)] : nil }
    public static func event(for key: Character) -> UInt8? { keys.firstIndex(of: key).map { UInt8($0) } }
}

/// The receiving side: one key per event (its timestamp), whatever the repeats.
public struct TelephoneEventReceiver: Sendable {
    private var lastEnded: UInt32?

    public init() {}

    /// The key pressed, at the event's first end packet.
    public mutating func receive(_ event: TelephoneEvent, timestamp: UInt32) -> Character? {
        guard event.end, lastEnded != timestamp else { return nil }
        lastEnded = timestamp
        return event.key
    }
}
