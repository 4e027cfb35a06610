import FuzzKit

/// Splits `bytes` into pieces whose sizes come from a generator seeded by the bytes themselves,
/// so "the same input fed in other pieces" is reproducible from the input alone.
func pieces(_ bytes: [UInt8], salt: UInt64 = 0) -> [[UInt8]] {
    var random = FuzzRandom(seed: StableHash.of(bytes) ^ salt)
    var out: [[UInt8]] = []
    var start = 0
    while start < bytes.count {
        // Mostly small pieces (1-8 bytes), sometimes larger ones; long inputs in fewer pieces.
        let small = Swift.max(8, bytes.count / 512)
        let size = random.oneIn(4) ? 1 + random.below(Swift.max(256, bytes.count / 16)) : 1 + random.below(small)
        let end = Swift.min(bytes.count, start + size)
        out.append(Array(bytes[start..<end]))
        start = end
    }
    return out
}

/// Reads an input front to back as the "script" of a generated case.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func next() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Up to `count` bytes (fewer at the end).
    mutating func take(_ count: Int) -> [UInt8] {
        let end = Swift.min(bytes.count, offset + count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// 0, 1, 2, 3-4, 5-8, ...: counts as coarse buckets for signatures.
func bucket(_ count: Int) -> String { count < 3 ? "\(count)" : "~\(Int.bitWidth - (count - 1).leadingZeroBitCount)" }

/// Signature of a behaviour: the hash of the strings describing it, digits dropped so that
/// "byte 17" and "byte 18" count as one behaviour.
func signature(_ parts: [String]) -> UInt64 {
    var hash = StableHash()
    for part in parts { hash.add(part.filter { !$0.isNumber }) }
    return hash.value
}

/// A short, printable rendering of bytes for failure messages.
func shown(_ bytes: [UInt8], limit: Int = 120) -> String { HTTPWire.shown(bytes, limit: limit) }
