/// RFC 6455 §5.2 opcodes. Values 0x3–0x7 and 0xB–0xF are reserved (a peer using them is failed
/// with 1002).
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Close, ping and pong: at most 125 payload bytes, never fragmented.
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// RFC 6455 §7.4 close status codes used by this implementation.
public enum WebSocketCloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    /// Reported (never sent) when a close frame carried no status code.
    public static let noStatus: UInt16 = 1005
    /// Reported (never sent) when the TCP connection ended without a close handshake.
    public static let abnormal: UInt16 = 1006
    public static let invalidPayload: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let internalError: UInt16 = 1011

    /// Whether `code` may appear in a close frame: 1000–1003, 1007–1014 (IANA-registered) and
    /// 3000–4999 (libraries and applications). 1005, 1006 and 1015 are for reporting only.
    public static func isValidOnWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}

/// Encoding of single frames (RFC 6455 §5.2). Decoding, which needs state across reads, is
/// `WebSocketDecoder`.
public enum WebSocketFrame {
    /// Bytes a frame with `payloadCount` payload bytes takes on the wire.
    public static func encodedSize(payloadCount: Int, masked: Bool) -> Int {
        headerSize(payloadCount: payloadCount, masked: masked) + payloadCount
    }

    /// One frame's wire bytes. A client must pass a fresh random `maskKey` for every frame
    /// (RFC 6455 §5.3); a server passes nil.
    public static func encode(_ opcode: WebSocketOpcode, payload: [UInt8], fin: Bool = true, maskKey: UInt32? = nil) -> [UInt8] {
        let size = encodedSize(payloadCount: payload.count, masked: maskKey != nil)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            payload.withUnsafeBytes { payload in
                encode(opcode, payload: payload, fin: fin, maskKey: maskKey, into: UnsafeMutableRawBufferPointer(buffer))
            }
            initialized = size
        }
    }

    /// The payload of a close frame: the status code, then a UTF-8 reason cut (on a character
    /// boundary) so the payload fits the 125-byte control-frame limit.
    public static func closePayload(code: UInt16, reason: String) -> [UInt8] {
        var bytes = [UInt8(code >> 8), UInt8(code & 0xFF)]
        var room = 123
        for scalar in reason.unicodeScalars {
            let utf8 = Array(String(scalar).utf8)
            guard utf8.count <= room else { break }
            bytes += utf8
            room -= utf8.count
        }
        return bytes
    }

    // MARK: internal

    static func headerSize(payloadCount: Int, masked: Bool) -> Int {
        let length = payloadCount < 126 ? 0 : payloadCount <= 0xFFFF ? 2 : 8
        return 2 + length + (masked ? 4 : 0)
    }

    /// Writes header and (masked) payload into `out`, which must hold exactly `encodedSize` bytes.
    static func encode(_ opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool, maskKey: UInt32?,
                       into out: UnsafeMutableRawBufferPointer) {
        let count = payload.count
        var index = 0
        out[index] = (fin ? 0x80 : 0) | opcode.rawValue
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        if count < 126 {
            out[1] = maskBit | UInt8(count)
            index = 2
        } else if count <= 0xFFFF {
            out[1] = maskBit | 126
            out[2] = UInt8(count >> 8)
            out[3] = UInt8(count & 0xFF)
            index = 4
        } else {
            out[1] = maskBit | 127
            for shift in 0..<8 { out[2 + shift] = UInt8(truncatingIfNeeded: UInt64(count) >> (56 - 8 * shift)) }
            index = 10
        }
        if let maskKey {
            for shift in 0..<4 { out[index + shift] = UInt8(truncatingIfNeeded: maskKey >> (24 - 8 * shift)) }
            index += 4
        }
        guard count > 0, let source = payload.baseAddress else { return }
        let body = UnsafeMutableRawBufferPointer(rebasing: out[index..<(index + count)])
        body.baseAddress!.copyMemory(from: source, byteCount: count)
        if let maskKey { applyMask(maskKey, to: body, streamOffset: 0) }
    }

    /// XORs `bytes` with the 4-byte key, as if `bytes` started `streamOffset` bytes into the
    /// frame's payload (masking is its own inverse). Eight bytes at a time where it can.
    static func applyMask(_ key: UInt32, to bytes: UnsafeMutableRawBufferPointer, streamOffset: Int) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let keyBytes = (UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF))
        // The key as it lines up with bytes[0...7], in memory order.
        var pattern: UInt64 = 0
        withUnsafeMutableBytes(of: &pattern) { raw in
            withUnsafeBytes(of: keyBytes) { key in
                for i in 0..<8 { raw[i] = key[(streamOffset + i) & 3] }
            }
        }
        var i = 0
        let count = bytes.count
        while i + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            base.storeBytes(of: word ^ pattern, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        withUnsafeBytes(of: keyBytes) { key in
            while i < count {
                bytes[i] ^= key[(streamOffset + i) & 3]
                i += 1
            }
        }
    }
}
