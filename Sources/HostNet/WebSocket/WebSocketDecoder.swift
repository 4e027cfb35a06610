/// Incremental RFC 6455 decoding: bytes in, whole messages and control frames out. A pure state
/// machine (no sockets, no clock), so every protocol rule is unit-testable.
///
/// It enforces what the receiving side must check: masking by role (clients mask, servers do
/// not), no reserved bits or opcodes (no extensions are negotiated), control frames of at most
/// 125 bytes and never fragmented, continuation only inside a fragmented message, the message
/// size limit, valid UTF-8 in text (checked as fragments arrive) and valid close payloads.
/// The first violation yields `.failure` and the decoder stops; so does a close frame.
public struct WebSocketDecoder: Sendable {
    public enum Role: Sendable {
        /// Decodes what a client sends: every frame must be masked.
        case server
        /// Decodes what a server sends: no frame may be masked.
        case client
    }

    public enum Event: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
        case ping([UInt8])
        case pong([UInt8])
        /// The peer's close frame; `code` is 1005 when it carried none.
        case close(code: UInt16, reason: String)
        /// A protocol violation: close with `code` (1002, 1007 or 1009) and drop the connection.
        case failure(code: UInt16, reason: String)
    }

    private struct FrameHeader {
        var fin: Bool
        var opcode: WebSocketOpcode
        var maskKey: UInt32?
        var length: Int
        var received = 0
    }

    public let role: Role
    public let maxMessageBytes: Int
    /// Bytes of the frame header being read (at most 14).
    private var header: [UInt8] = []
    /// The frame whose payload is being read.
    private var frame: FrameHeader?
    /// The data message being assembled (text or binary), across fragments.
    private var messageOpcode: WebSocketOpcode?
    private var message: [UInt8] = []
    private var utf8 = UTF8Validator()
    /// The control frame being read (may arrive between a message's fragments).
    private var control: [UInt8] = []
    /// True after a close frame or a failure: further input is ignored.
    public private(set) var isFinished = false

    public init(role: Role, maxMessageBytes: Int = 1 << 20) {
        self.role = role
        self.maxMessageBytes = maxMessageBytes
        header.reserveCapacity(14)
    }

    public mutating func feed(_ bytes: [UInt8]) -> [Event] {
        var bytes = bytes
        return bytes.withUnsafeMutableBytes { feed($0) }
    }

    /// Consumes `bytes` (which it may unmask in place) and returns the events they complete, in order.
    public mutating func feed(_ bytes: UnsafeMutableRawBufferPointer) -> [Event] {
        var events: [Event] = []
        var offset = 0
        while offset < bytes.count, !isFinished {
            if frame == nil {
                offset += readHeader(UnsafeRawBufferPointer(rebasing: bytes[offset...]), &events)
            } else {
                let take = min(frame!.length - frame!.received, bytes.count - offset)
                readPayload(UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + take)]), &events)
                offset += take
            }
        }
        return events
    }

    // MARK: header

    /// Takes header bytes from `bytes`; returns how many it used.
    private mutating func readHeader(_ bytes: UnsafeRawBufferPointer, _ events: inout [Event]) -> Int {
        var used = 0
        while used < bytes.count {
            let needed = header.count < 2 ? 2 : Self.fullHeaderSize(header[0], header[1])
            if header.count == needed { break }
            let take = min(needed - header.count, bytes.count - used)
            header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used..<(used + take)]))
            used += take
            if header.count == 2, let violation = checkFirstTwo() { fail(violation, &events); return used }
        }
        guard header.count >= 2, header.count == Self.fullHeaderSize(header[0], header[1]) else { return used }
        startFrame(&events)
        return used
    }

    private static func fullHeaderSize(_ b0: UInt8, _ b1: UInt8) -> Int {
        let length = b1 & 0x7F
        return 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + (b1 & 0x80 != 0 ? 4 : 0)
    }

    /// Rules decidable from the first two bytes.
    private func checkFirstTwo() -> (UInt16, String)? {
        let b0 = header[0], b1 = header[1]
        if b0 & 0x70 != 0 { return (WebSocketCloseCode.protocolError, "reserved bits set without a negotiated extension") }
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
            return (WebSocketCloseCode.protocolError, "reserved opcode \(b0 & 0x0F)")
        }
        let masked = b1 & 0x80 != 0
        switch role {
        case .server where !masked: return (WebSocketCloseCode.protocolError, "client frame is not masked")
        case .client where masked: return (WebSocketCloseCode.protocolError, "server frame is masked")
        default: break
        }
        if opcode.isControl {
            if b0 & 0x80 == 0 { return (WebSocketCloseCode.protocolError, "fragmented control frame") }
            if b1 & 0x7F > 125 { return (WebSocketCloseCode.protocolError, "control frame over 125 bytes") }
        } else if opcode == .continuation {
            if messageOpcode == nil { return (WebSocketCloseCode.protocolError, "continuation frame without a message to continue") }
        } else if messageOpcode != nil {
            return (WebSocketCloseCode.protocolError, "new message before the fragmented one finished")
        }
        return nil
    }

    private mutating func startFrame(_ events: inout [Event]) {
        let b0 = header[0], b1 = header[1]
        var index = 2
        var length = UInt64(b1 & 0x7F)
        if length == 126 {
            length = UInt64(header[2]) << 8 | UInt64(header[3])
            index = 4
        } else if length == 127 {
            length = header[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
            index = 10
            if length >> 63 != 0 { return fail((WebSocketCloseCode.protocolError, "64-bit length with the top bit set"), &events) }
        }
        var maskKey: UInt32?
        if b1 & 0x80 != 0 {
            maskKey = header[index..<(index + 4)].reduce(0) { $0 << 8 | UInt32($1) }
        }
        header.removeAll(keepingCapacity: true)
        let opcode = WebSocketOpcode(rawValue: b0 & 0x0F)!   // checked in checkFirstTwo
        if !opcode.isControl, UInt64(message.count) + length > UInt64(maxMessageBytes) {
            return fail((WebSocketCloseCode.messageTooBig, "message over \(maxMessageBytes) bytes"), &events)
        }
        if opcode == .text || opcode == .binary {
            messageOpcode = opcode
            utf8 = UTF8Validator()
        }
        frame = FrameHeader(fin: b0 & 0x80 != 0, opcode: opcode, maskKey: maskKey, length: Int(length))
        if length == 0 { finishFrame(&events) }
    }

    // MARK: payload

    private mutating func readPayload(_ chunk: UnsafeMutableRawBufferPointer, _ events: inout [Event]) {
        guard var current = frame else { return }
        if let key = current.maskKey { WebSocketFrame.applyMask(key, to: chunk, streamOffset: current.received) }
        if current.opcode.isControl {
            control.append(contentsOf: chunk)
        } else {
            if messageOpcode == .text, !utf8.feed(UnsafeRawBufferPointer(chunk)) {
                return fail((WebSocketCloseCode.invalidPayload, "text message is not valid UTF-8"), &events)
            }
            message.append(contentsOf: chunk)
        }
        current.received += chunk.count
        frame = current
        if current.received == current.length { finishFrame(&events) }
    }

    private mutating func finishFrame(_ events: inout [Event]) {
        guard let current = frame else { return }
        frame = nil
        switch current.opcode {
        case .ping:
            events.append(.ping(control))
            control = []
        case .pong:
            events.append(.pong(control))
            control = []
        case .close:
            events.append(Self.closeEvent(control))
            control = []
            isFinished = true
        case .text, .binary, .continuation:
            guard current.fin else { return }
            if messageOpcode == .text {
                guard utf8.isComplete else {
                    return fail((WebSocketCloseCode.invalidPayload, "text message ends inside a UTF-8 sequence"), &events)
                }
                events.append(.text(String(decoding: message, as: UTF8.self)))
            } else {
                events.append(.binary(message))
            }
            message = []
            messageOpcode = nil
        }
    }

    private static func closeEvent(_ payload: [UInt8]) -> Event {
        if payload.isEmpty { return .close(code: WebSocketCloseCode.noStatus, reason: "") }
        guard payload.count >= 2 else { return .failure(code: WebSocketCloseCode.protocolError, reason: "close frame with a 1-byte payload") }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard WebSocketCloseCode.isValidOnWire(code) else {
            return .failure(code: WebSocketCloseCode.protocolError, reason: "invalid close code \(code)")
        }
        let reason = payload[2...]
        var validator = UTF8Validator()
        guard reason.withUnsafeBytes({ validator.feed($0) }), validator.isComplete else {
            return .failure(code: WebSocketCloseCode.invalidPayload, reason: "close reason is not valid UTF-8")
        }
        return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
    }

    private mutating func fail(_ violation: (UInt16, String), _ events: inout [Event]) {
        events.append(.failure(code: violation.0, reason: violation.1))
        isFinished = true
        message = []
        control = []
        frame = nil
    }
}

/// Incremental UTF-8 validation (Unicode 15 table 3-7: no overlongs, no surrogates, nothing past
/// U+10FFFF), so a text message split across frames fails as soon as a bad byte arrives.
struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current scalar.
    private var needed = 0
    /// Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// True while everything fed so far can still be valid.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var i = 0
        while i < count {
            if needed == 0 {
                // ASCII fast path, eight bytes at a time.
                while i + 8 <= count, base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
                guard i < count else { break }
                let byte = bytes[i]
                i += 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: needed = 1
                case 0xE0: needed = 2; lower = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: needed = 2
                case 0xED: needed = 2; upper = 0x9F
                case 0xF0: needed = 3; lower = 0x90
                case 0xF1...0xF3: needed = 3
                case 0xF4: needed = 3; upper = 0x8F
                default: return false
                }
            } else {
                let byte = bytes[i]
                i += 1
                guard byte >= lower, byte <= upper else { return false }
                lower = 0x80
                upper = 0xBF
                needed -= 1
            }
        }
        return true
    }

    /// True when the input so far ends on a scalar boundary.
    var isComplete: Bool { needed == 0 }
}
