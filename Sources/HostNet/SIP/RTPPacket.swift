/// One RTP packet (RFC 3550 §5.1), version 2, without header extensions we would need to keep:
/// CSRCs and an extension are skipped on read, never written. Pure value: tested without I/O.
public struct RTPPacket: Equatable, Sendable {
    public var payloadType: UInt8
    public var marker: Bool
    public var sequence: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var payload: [UInt8]

    public init(payloadType: UInt8, marker: Bool, sequence: UInt16, timestamp: UInt32, ssrc: UInt32, payload: [UInt8]) {
        self.payloadType = payloadType
        self.marker = marker
        self.sequence = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.payload = payload
    }

    /// nil for what is not RTP version 2 or is cut short (RTCP on the same port is dropped too:
    /// its payload types 200–204 land in 72–76 with the marker set, which no audio uses).
    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= 12, bytes[0] >> 6 == 2 else { return nil }
        let csrcs = Int(bytes[0] & 0x0f)
        var offset = 12 + 4 * csrcs
        if bytes[0] & 0x10 != 0 {
            guard bytes.count >= offset + 4 else { return nil }
            offset += 4 + 4 * (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]))
        }
        var end = bytes.count
        if bytes[0] & 0x20 != 0, let padding = bytes.last { end -= Int(padding) }
        guard offset <= end else { return nil }
        payloadType = bytes[1] & 0x7f
        marker = bytes[1] & 0x80 != 0
        guard !(72...76).contains(payloadType) else { return nil }
        sequence = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        timestamp = bytes[4..<8].reduce(0) { $0 << 8 | UInt32($1) }
        ssrc = bytes[8..<12].reduce(0) { $0 << 8 | UInt32($1) }
        payload = Array(bytes[offset..<end])
    }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(12 + payload.count)
        out.append(0x80)
        out.append((marker ? 0x80 : 0) | (payloadType & 0x7f))
        out.append(UInt8(sequence >> 8)); out.append(UInt8(sequence & 0xff))
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: timestamp >> UInt32(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: ssrc >> UInt32(shift))) }
        out.append(contentsOf: payload)
        return out
    }
}

/// The sending side of one RTP stream: SSRC, sequence and timestamp start random (RFC 3550 §5.1),
/// the sequence grows by one a packet, the timestamp by the samples sent; after a pause in the
/// agent's speech the timestamp jumps by the time that passed and the marker starts the talkspurt.
public struct RTPSender: Sendable {
    public let ssrc: UInt32
    public private(set) var sequence: UInt16
    public private(set) var timestamp: UInt32
    private var lastSentMilliseconds: UInt64?

    public init(ssrc: UInt32 = .random(in: 1...UInt32.max), sequence: UInt16 = .random(in: 0...UInt16.max),
                timestamp: UInt32 = .random(in: 0...UInt32.max)) {
        self.ssrc = ssrc
        self.sequence = sequence
        self.timestamp = timestamp
    }

    /// The packet carrying `payload` (`samples` long at 8 kHz) sent at `now` (monotonic ms).
    public mutating func packet(payloadType: UInt8, payload: [UInt8], samples: Int, now: UInt64) -> RTPPacket {
        var marker = false
        if let last = lastSentMilliseconds {
            let gap = now &- last
            // A frame late by more than one frame is a new talkspurt: the clock ran meanwhile.
            if gap > 40 {
                marker = true
                timestamp &+= UInt32(truncatingIfNeeded: (gap - 20) * 8)
            }
        } else {
            marker = true
        }
        lastSentMilliseconds = now
        let packet = RTPPacket(payloadType: payloadType, marker: marker, sequence: sequence, timestamp: timestamp, ssrc: ssrc, payload: payload)
        sequence &+= 1
        timestamp &+= UInt32(samples)
        return packet
    }

    /// A packet that shares the stream's numbering but sets its own timestamp (RFC 4733 events).
    public mutating func event(payloadType: UInt8, payload: [UInt8], timestamp eventTimestamp: UInt32, marker: Bool, now: UInt64) -> RTPPacket {
        lastSentMilliseconds = now
        let packet = RTPPacket(payloadType: payloadType, marker: marker, sequence: sequence, timestamp: eventTimestamp, ssrc: ssrc, payload: payload)
        sequence &+= 1
        return packet
    }

    /// The timestamp the next audio packet would carry (an event starts there).
    public var nextTimestamp: UInt32 { timestamp }
    public mutating func advance(samples: Int) { timestamp &+= UInt32(samples) }
}
