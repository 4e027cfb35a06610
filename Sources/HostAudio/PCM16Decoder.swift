/// Streaming little-endian PCM16 decoder for byte chunks of any size.
///
/// WebSocket clients may split a sample across two binary frames; the odd byte is held until the
/// next chunk instead of being dropped (which would swap the byte order of everything after it).
/// Pure computation on caller-owned state: one decoder per stream, called from the event loop.
public struct PCM16Decoder: Sendable {
    /// The low byte of a sample whose high byte has not arrived yet.
    public private(set) var pendingByte: UInt8?

    public init() {}

    /// The common case, whole samples in a byte array with nothing held: one copy on
    /// little-endian machines (the voice loop decodes 50 frames a second per call).
    public mutating func decode(_ bytes: [UInt8]) -> [Int16] {
        #if _endian(little)
        if pendingByte == nil, bytes.count % 2 == 0 {
            return [Int16](unsafeUninitializedCapacity: bytes.count / 2) { buffer, count in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                }
                count = bytes.count / 2
            }
        }
        #endif
        return decode(bytes[...])
    }

    /// Decodes every complete sample in `pendingByte + bytes`, keeping a new odd byte if any.
    public mutating func decode(_ bytes: some Collection<UInt8>) -> [Int16] {
        var out: [Int16] = []
        out.reserveCapacity((bytes.count + 1) / 2)
        var low = pendingByte
        for byte in bytes {
            if let first = low {
                out.append(Int16(bitPattern: UInt16(first) | UInt16(byte) << 8))
                low = nil
            } else {
                low = byte
            }
        }
        pendingByte = low
        return out
    }

    /// Forgets a held byte (start of a new stream).
    public mutating func reset() { pendingByte = nil }
}
