/// SplitMix64: a small, fast generator whose sequence depends only on its seed, so a fuzz run
/// (and every test that uses one) can be replayed exactly. Swift's `random(in:using:)` is avoided
/// on purpose: how it maps bits to ranges is not promised across toolchains.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0..<n (n > 0); the modulo bias is irrelevant for fuzzing.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// True with probability 1/n.
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    public mutating func element<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// FNV-1a: a stable hash of bytes (Swift's `Hasher` is seeded per process), for signatures of
/// behaviour and for naming saved inputs.
public struct StableHash: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
    }

    public mutating func add(_ text: String) { add(text.utf8); add(CollectionOfOne(0xFF)) }
    public mutating func add(_ number: Int) { add(withUnsafeBytes(of: UInt64(bitPattern: Int64(number)).littleEndian) { Array($0) }) }

    public static func of(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash = StableHash()
        hash.add(bytes)
        return hash.value
    }
}
