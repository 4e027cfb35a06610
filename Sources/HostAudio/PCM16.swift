/// Stateless conversions between little-endian PCM16 bytes (the voice WebSocket's wire format)
/// and `[Int16]` samples. Pure computation, safe to call per frame from the event loop; for byte
/// chunks that may split a sample, use `PCM16Decoder`, which keeps the odd byte.
public enum PCM16 {
    /// Samples from little-endian bytes; an odd trailing byte is ignored (see `PCM16Decoder`).
    public static func samples(littleEndian bytes: some Collection<UInt8>) -> [Int16] {
        var decoder = PCM16Decoder()
        return decoder.decode(bytes)
    }

    /// Little-endian bytes of the samples, two per sample.
    public static func littleEndianBytes(_ samples: some Collection<Int16>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(samples.count * 2)
        for sample in samples {
            let bits = UInt16(bitPattern: sample)
            out.append(UInt8(truncatingIfNeeded: bits))
            out.append(UInt8(truncatingIfNeeded: bits >> 8))
        }
        return out
    }
}
