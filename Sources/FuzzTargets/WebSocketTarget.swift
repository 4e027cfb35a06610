import FuzzKit
import HostNet

/// RFC 6455 decoding (`WebSocketDecoder`). The first input byte picks the mode:
/// - even: the rest is raw wire bytes; decoding them whole and in pieces must give the same
///   events, with at most one close or failure, last, after which the decoder is finished;
/// - odd: the rest is a script of messages (text, binary, ping, pong, fragmented, a closing
///   close) that `WebSocketFrame.encode` writes; decoding that in pieces must give back exactly
///   those messages.
enum WebSocketTarget {
    static let target = FuzzTarget(
        name: "websocket",
        summary: "WebSocket frame decoder: whole vs split feeding; encode → decode round trip",
        byteTokens: [[0x81], [0x82], [0x88], [0x89], [0x8A], [0x80], [0x00], [0x01], [0x02], [0x09], [0xFE], [0xFF],
                     [0x7E], [0x7F], [0x7E, 0x01, 0x00], [0x7F, 0, 0, 0, 0, 0, 1, 0, 0], [0x03, 0xE8], [0x03, 0xEB], [0x0F, 0xA0],
                     [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82], [0xF0, 0x9F, 0x98, 0x80]],
        maxInputLength: 8_192
    ) { input throws(FuzzFailure) in
        guard let mode = input.first else { return 0 }
        let data = Array(input.dropFirst())
        return mode & 1 == 0 ? try raw(mode: mode, data) : try roundTrip(mode: mode, data)
    }

    static func raw(mode: UInt8, _ data: [UInt8]) throws(FuzzFailure) -> UInt64 {
        let role: WebSocketDecoder.Role = mode & 2 == 0 ? .server : .client
        let limit = mode & 4 == 0 ? 1 << 20 : 300
        var whole = WebSocketDecoder(role: role, maxMessageBytes: limit)
        let expected = whole.feed(data)
        var split = WebSocketDecoder(role: role, maxMessageBytes: limit)
        var events: [WebSocketDecoder.Event] = []
        for piece in pieces(data) { events += split.feed(piece) }
        try fuzzCheckEqual(events, expected, "events fed in pieces vs whole")
        try fuzzCheckEqual(split.isFinished, whole.isFinished, "isFinished in pieces vs whole")
        let terminal = events.indices.filter { events[$0].isTerminal }
        try fuzzCheck(terminal.count <= 1 && terminal.allSatisfy { $0 == events.count - 1 },
                      "a close or failure that is not the last event: \(events)")
        try fuzzCheck(terminal.isEmpty || split.isFinished, "a close or failure without the decoder finishing")
        if split.isFinished { try fuzzCheck(split.feed([0x81, 0x80, 0, 0, 0, 0]).isEmpty, "events after the decoder finished") }
        return signature([bucket(events.count)] + Set(events.map(\.kind)).sorted())
    }

    static func roundTrip(mode: UInt8, _ data: [UInt8]) throws(FuzzFailure) -> UInt64 {
        let masked = mode & 2 == 0   // the server decodes what clients send: masked
        var reader = ByteReader(data)
        var wire: [UInt8] = []
        var expected: [WebSocketDecoder.Event] = []
        var frameIndex: UInt64 = 0
        var usedHugeFrame = false
        func frame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) {
            frameIndex += 1
            let key = masked ? UInt32(truncatingIfNeeded: StableHash.of(payload) &+ frameIndex) : nil
            wire += WebSocketFrame.encode(opcode, payload: payload, fin: fin, maskKey: key)
        }
        while let control = reader.next() {
            let lengthByte = reader.next() ?? 0
            var payload = reader.take(Int(lengthByte) + (control & 0x80 != 0 ? 200 : 0))   // ≥ 126: 16-bit lengths
            if control == 0xFF, !usedHugeFrame {   // once: a 64-bit length
                usedHugeFrame = true
                payload = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            }
            switch control % 6 {
            case 0:
                let text = String(decoding: payload, as: UTF8.self)
                frame(.text, Array(text.utf8))
                expected.append(.text(text))
            case 1:
                frame(.binary, payload)
                expected.append(.binary(payload))
            case 2:
                frame(.ping, Array(payload.prefix(125)))
                expected.append(.ping(Array(payload.prefix(125))))
            case 3:
                frame(.pong, Array(payload.prefix(125)))
                expected.append(.pong(Array(payload.prefix(125))))
            default:   // fragmented, a ping between fragments when bit 6 is set
                let isText = control % 6 == 4
                let bytes = isText ? Array(String(decoding: payload, as: UTF8.self).utf8) : payload
                let count = 1 + Int(control >> 3) % 4
                let size = Swift.max(1, (bytes.count + count - 1) / count)
                var fragments = stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<Swift.min(bytes.count, $0 + size)]) }
                if fragments.isEmpty { fragments = [[]] }
                for (index, fragment) in fragments.enumerated() {
                    frame(index == 0 ? (isText ? .text : .binary) : .continuation, fragment, fin: index == fragments.count - 1)
                    if control & 0x40 != 0, index < fragments.count - 1 {
                        frame(.ping, [UInt8(index)])
                        expected.append(.ping([UInt8(index)]))
                    }
                }
                expected.append(isText ? .text(String(decoding: bytes, as: UTF8.self)) : .binary(bytes))
            }
        }
        if mode & 4 != 0 {
            let codes: [UInt16] = [1000, 1001, 1003, 1008, 1011, 3000, 4999]
            let code = codes[Int(mode >> 3) % codes.count]
            let reason = String(decoding: data.suffix(40), as: UTF8.self)
            let payload = WebSocketFrame.closePayload(code: code, reason: reason)
            frame(.close, payload)
            expected.append(.close(code: code, reason: String(decoding: payload[2...], as: UTF8.self)))
        }
        var decoder = WebSocketDecoder(role: masked ? .server : .client)
        var events: [WebSocketDecoder.Event] = []
        for piece in pieces(wire) { events += decoder.feed(piece) }
        try fuzzCheckEqual(events, expected, "decoded frames vs the messages encoded")
        return signature(["round trip", bucket(expected.count)] + Set(expected.map(\.kind)).sorted())
    }
}

extension WebSocketDecoder.Event {
    var isTerminal: Bool {
        switch self {
        case .close, .failure: true
        default: false
        }
    }

    var kind: String {
        switch self {
        case .text: "text"
        case .binary: "binary"
        case .ping: "ping"
        case .pong: "pong"
        case .close(let code, _): "close \(code)"
        case .failure(let code, let reason): "failure \(code) \(reason)"
        }
    }
}
