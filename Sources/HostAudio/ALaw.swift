/// G.711 A-law (ITU-T G.711 §3), the law of European phone networks: a SIP peer may offer it
/// instead of µ-law (PCMA, RTP payload type 8). One sample per byte.
public enum ALaw {
    /// The 256 decoded values, built once from the G.711 expansion.
    public static let decodeTable: [Int16] = (0..<256).map { expand(UInt8($0)) }

    public static func decode(_ bytes: [UInt8]) -> [Int16] {
        decodeTable.withUnsafeBufferPointer { table in bytes.map { table[Int($0)] } }
    }

    public static func encode(_ frame: ArraySlice<Int16>) -> [UInt8] { frame.map(encode) }

    /// One linear PCM16 sample to an A-law byte (13-bit magnitude, segment + 4-bit mantissa, even bits inverted).
    public static func encode(_ sample: Int16) -> UInt8 {
        let sign: UInt8 = sample >= 0 ? 0x80 : 0x00
        // One's complement for negatives, as in the reference coder: the quantiser is symmetric.
        var magnitude = Int(sample >= 0 ? Int(sample) : -Int(sample) - 1) >> 3  // 13-bit
        magnitude = min(magnitude, 0x0fff)
        let code: UInt8
        if magnitude < 32 {
            code = UInt8(magnitude >> 1)
        } else {
            var segment = 1
            while magnitude >= (32 << segment), segment < 7 { segment += 1 }
            code = UInt8(segment << 4) | UInt8((magnitude >> segment) & 0x0f)
        }
        return (sign | code) ^ 0x55
    }

    static func expand(_ byte: UInt8) -> Int16 {
        let value = Int(byte ^ 0x55)
        let segment = (value >> 4) & 0x07
        let mantissa = value & 0x0f
        var magnitude = segment == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (segment - 1)
        magnitude = min(magnitude, 32_767)
        return Int16(value & 0x80 != 0 ? magnitude : -magnitude)
    }
}
