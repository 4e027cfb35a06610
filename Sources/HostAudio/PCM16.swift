/// Stateless conversions between little-endian PCM16 bytes (the voice WebSocket's wire format)
/// and `[Int16]` samples. Pure computation, safe to call per frame from the event loop; for byte
/// chunks that may split a sample, use `PCM16Decoder`, which keeps the odd byte.
public enum PCM16 {
    /// Samples from little-endian bytes; an odd trailing byte is ignored (see `PCM16Decoder`).
    public static func samples(littleEndian bytes: some Collection<UInt8>) -> [Int16] {
        var decoder = PCM16Decoder()
        return decoder.decode(bytes)
    }

    /// Little-endian bytes of contiguous samples: one copy on little-endian machines. (The voice
    /// loop sends 50 frames a second per call; the generic version, unspecialised across modules,
    /// was 40% of a media-only host's CPU.)
    public static func littleEndianBytes(_ samples: ArraySlice<Int16>) -> [UInt8] {
        #if _endian(little)
        return samples.withUnsafeBytes { raw in [UInt8](raw) }
        #else
        return littleEndianBytes(samples as any Collection<Int16>)
        #endif
    }

    public static func littleEndianBytes(_ samples: [Int16]) -> [UInt8] {
        littleEndianBytes(samples[...])
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
