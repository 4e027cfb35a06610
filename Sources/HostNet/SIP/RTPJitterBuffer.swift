/// Puts a caller's RTP packets back in order (RFC 3550 sequence numbers, modulo 2^16) before they
/// are decoded. It holds up to `depth` packets while one is missing; when more are waiting, the
/// missing one is declared lost (the call gets a frame of silence in its place, so the turn
/// detector's clock stays right). Late packets (behind what was already played) are dropped; a
/// jump of more than 3 s (a new stream after a re-INVITE, a peer restart) starts over. Driven by
/// arrivals (no timer): pure value, tested without I/O.
public struct RTPJitterBuffer: Sendable {
    public enum Frame: Equatable, Sendable {
        case audio([UInt8])
        case lost
    }

    public let depth: Int
    private var next: UInt16?
    private var held: [UInt16: [UInt8]] = [:]
    public private(set) var lost = 0
    public private(set) var late = 0

    public init(depth: Int = 3) { self.depth = depth }

    /// Adds one packet; returns the frames now ready, in order.
    public mutating func insert(sequence: UInt16, payload: [UInt8]) -> [Frame] {
        guard let expected = next else {
            next = sequence
            return insert(sequence: sequence, payload: payload)
        }
        let distance = Int(Int16(bitPattern: sequence &- expected))
        if distance < 0 && distance > -150 {
            late += 1
            return []
        }
        if distance < 0 || distance > 150 {
            // Too far either way to be the same stream's jitter: start over from this packet.
            held.removeAll()
            next = sequence
        }
        held[sequence] = payload
        var ready: [Frame] = []
        while let cursor = next {
            if let payload = held.removeValue(forKey: cursor) {
                ready.append(.audio(payload))
            } else if held.count >= depth {
                ready.append(.lost)
                lost += 1
            } else {
                break
            }
            next = cursor &+ 1
        }
        return ready
    }
}
