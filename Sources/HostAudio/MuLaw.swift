/// G.711 µ-law companding of PCM16 samples (Twilio Media Streams and `"encoding":"mulaw"` clients).
///
/// Encoding follows the ITU-T G.191 reference implementation of G.711 bit for bit: negative samples
/// are quantised through their one's complement, so `encode(-1) == 0x7F` (some popular C snippets
/// negate instead and differ by one code on a few negative inputs). Decoding is a 256-entry table.
/// Pure computation: no state, no locks, no I/O; safe to call per frame from the event loop.
public enum MuLaw {
    /// The 256 decoded values, built once from the G.711 expansion formula.
    public static let decodeTable: [Int16] = (0..<256).map { expand(UInt8($0)) }

    /// One µ-law byte to a linear PCM16 sample.
    @inlinable
    public static func decode(_ byte: UInt8) -> Int16 {
        decodeTable.withUnsafeBufferPointer { $0[Int(byte)] }
    }

    /// The per-frame case (50 a second per phone call), concrete so it is not run through generic
    /// witnesses across the module boundary (see PCM16).
    public static func decode(_ bytes: [UInt8]) -> [Int16] {
        decodeTable.withUnsafeBufferPointer { table in
            [Int16](unsafeUninitializedCapacity: bytes.count) { out, count in
                for (index, byte) in bytes.enumerated() { out[index] = table[Int(byte)] }
                count = bytes.count
            }
        }
    }

    /// µ-law bytes to PCM16 samples; one sample per byte, so chunks of any size decode independently.
    public static func decode(_ bytes: some Collection<UInt8>) -> [Int16] {
        decodeTable.withUnsafeBufferPointer { table in bytes.map { table[Int($0)] } }
    }

    /// One linear PCM16 sample to a µ-law byte.
    @inlinable
    public static func encode(_ sample: Int16) -> UInt8 {
        // One's complement for negatives (G.191): the quantiser is symmetric about -0.5, not 0.
        let negative = sample < 0
        let magnitude = Int32(negative ? ~sample : sample) >> 2   // 14-bit magnitude
        let biased = min(magnitude + 33, 0x1FFF)                  // +33 makes segments powers of two
        let segment = Int32(33 - (biased >> 6).leadingZeroBitCount)  // 1...8: bit length of biased >> 6, plus one
        let mantissa = (biased >> segment) & 0x0F
        let code = UInt8(((8 - segment) << 4) | (0x0F - mantissa))
        return negative ? code : code | 0x80
    }

    /// The per-frame case, concrete (see `decode(_: [UInt8])`).
    public static func encode(_ samples: ArraySlice<Int16>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: samples.count) { out, count in
            for (index, sample) in samples.enumerated() { out[index] = encode(sample) }
            count = samples.count
        }
    }

    public static func encode(_ samples: [Int16]) -> [UInt8] { encode(samples[...]) }

    /// PCM16 samples to µ-law bytes.
    public static func encode(_ samples: some Collection<Int16>) -> [UInt8] {
        samples.map(encode)
    }

    /// G.711 expansion (G.191 `ulaw_expand`): the centre of the code's quantisation interval.
    private static func expand(_ byte: UInt8) -> Int16 {
        let inverted = Int32(~byte)
        let exponent = (inverted >> 4) & 0x07
        let mantissa = inverted & 0x0F
        let step = Int32(4) << (exponent + 1)
        let magnitude = (Int32(0x80) << exponent) + step * mantissa + step / 2 - 4 * 33
        return Int16(byte < 0x80 ? -magnitude : magnitude)
    }
}
