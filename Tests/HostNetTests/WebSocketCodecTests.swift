@testable import HostNet
import XCTest

/// The pure parts: handshake values, frame encoding, and the decoder's state machine.
final class WebSocketCodecTests: XCTestCase {
    private typealias Event = WebSocketDecoder.Event

    /// A frame as a client sends it (masked).
    private func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        WebSocketFrame.encode(opcode, payload: payload, fin: fin, maskKey: 0x3712_9A55)
    }

    private func decode(_ bytes: [UInt8], maxMessageBytes: Int = 1 << 20) -> [Event] {
        var decoder = WebSocketDecoder(role: .server, maxMessageBytes: maxMessageBytes)
        return decoder.feed(bytes)
    }

    private func failureCode(_ events: [Event]) -> UInt16? {
        guard case .failure(let code, _)? = events.last else { return nil }
        return code
    }

    // MARK: handshake

    func testAcceptValueMatchesRFCExample() {
        XCTAssertEqual(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testKeysAreSixteenRandomBytesInBase64() {
        let key = WebSocketHandshake.makeKey()
        XCTAssertEqual(key.utf8.count, 24)
        XCTAssertTrue(WebSocketHandshake.isValidKey(key))
        XCTAssertNotEqual(key, WebSocketHandshake.makeKey())
        XCTAssertTrue(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZQ=="))
        XCTAssertFalse(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZQ"))          // no padding
        XCTAssertFalse(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZSE="))        // 17 bytes
        XCTAssertFalse(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25j*Q=="))        // not base64
        XCTAssertFalse(WebSocketHandshake.isValidKey(""))
    }

    func testHandshakeValidation() {
        func request(_ headers: [(String, String)], method: String = "GET", version: String = "1.1") -> HTTPRequest {
            HTTPRequest(method: method, target: "/ws", headers: HTTPHeaders(headers), version: version, isUpgrade: true)
        }
        let good: [(String, String)] = [("Upgrade", "WebSocket"), ("Connection", "keep-alive, Upgrade"),
                                        ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]
        XCTAssertEqual(try? WebSocketHandshake.validate(request(good)).get(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

        func status(_ r: HTTPRequest) -> Int? {
            if case .failure(let refusal) = WebSocketHandshake.validate(r) { return refusal.response.status }
            return nil
        }
        XCTAssertEqual(status(request(good, method: "POST")), 400)
        XCTAssertEqual(status(request(good, version: "1.0")), 400)
        XCTAssertEqual(status(request(good.filter { $0.0 != "Upgrade" })), 426)
        XCTAssertEqual(status(request(good.filter { $0.0 != "Connection" })), 400)
        XCTAssertEqual(status(request(good.filter { $0.0 != "Sec-WebSocket-Key" })), 400)
        XCTAssertEqual(status(request(good.filter { $0.0 != "Sec-WebSocket-Version" })), 426)
        XCTAssertEqual(status(request(good.map { $0.0 == "Sec-WebSocket-Version" ? ($0.0, "8") : $0 })), 426)
        XCTAssertEqual(status(request(good.map { $0.0 == "Sec-WebSocket-Key" ? ($0.0, "c2hvcnQ=") : $0 })), 400)
        XCTAssertEqual(status(request(good + [("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==")])), 400)
        if case .failure(let refusal) = WebSocketHandshake.validate(request(good.filter { $0.0 != "Sec-WebSocket-Version" })) {
            XCTAssertEqual(refusal.response.headers["Sec-WebSocket-Version"], "13")
        }
    }

    func testURLParsing() {
        XCTAssertEqual(WebSocketURL("ws://127.0.0.1:8080/v1/ws?tenant=a#frag"), WebSocketURL(host: "127.0.0.1", port: 8080, target: "/v1/ws?tenant=a"))
        XCTAssertEqual(WebSocketURL("WS://localhost"), WebSocketURL(host: "localhost", port: 80, target: "/"))
        XCTAssertEqual(WebSocketURL("ws://h?x=1")?.target, "/?x=1")
        XCTAssertEqual(WebSocketURL("ws://[::1]:9000/a")?.host, "::1")
        XCTAssertEqual(WebSocketURL("ws://[::1]:9000/a")?.hostHeader, "[::1]:9000")
        XCTAssertEqual(WebSocketURL("wss://example.com/v1?m=x"), WebSocketURL(secure: true, host: "example.com", port: 443, target: "/v1?m=x"))
        XCTAssertEqual(WebSocketURL("wss://example.com/")?.hostHeader, "example.com")
        XCTAssertEqual(WebSocketURL("wss://example.com:8443/")?.hostHeader, "example.com:8443")
        XCTAssertEqual(WebSocketURL("ws://example.com:443/")?.hostHeader, "example.com:443")
        XCTAssertNil(WebSocketURL("http://example.com/"))
        XCTAssertNil(WebSocketURL("ws://host:99999/"))
        XCTAssertNil(WebSocketURL("ws://user@host/"))
        XCTAssertNil(WebSocketURL("ws:///path"))
    }

    // MARK: encoding

    func testLengthEncodings() {
        for (count, header) in [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let frame = WebSocketFrame.encode(.binary, payload: [UInt8](repeating: 7, count: count))
            XCTAssertEqual(frame.count, header + count, "payload \(count)")
            XCTAssertEqual(frame[0], 0x82)
            XCTAssertEqual(frame[1] & 0x80, 0, "server frames are not masked")
        }
        let masked = WebSocketFrame.encode(.text, payload: Array("Hello".utf8), maskKey: 0x37FA_213D)
        // RFC 6455 §5.7: a masked "Hello".
        XCTAssertEqual(masked, [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        XCTAssertEqual(WebSocketFrame.encode(.text, payload: Array("Hello".utf8)), [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    func testClosePayloadIsCutOnACharacterBoundary() {
        let payload = WebSocketFrame.closePayload(code: 1001, reason: String(repeating: "é", count: 100))
        XCTAssertEqual(Array(payload.prefix(2)), [0x03, 0xE9])
        XCTAssertLessThanOrEqual(payload.count, 125)
        XCTAssertEqual(payload.count, 2 + 122)   // 61 two-byte characters fit in 123 bytes
        XCTAssertNotNil(String(validating: payload.dropFirst(2), as: UTF8.self))
    }

    // MARK: decoding

    func testRoundTripAtEverySizeClassAndAnySplit() {
        for count in [0, 1, 125, 126, 127, 1000, 65535, 65536, 100_000] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let frame = clientFrame(.binary, payload)
            XCTAssertEqual(decode(frame), [.binary(payload)], "size \(count)")
            // The same bytes in random pieces (masking must follow the offset across reads).
            var decoder = WebSocketDecoder(role: .server)
            var events: [Event] = []
            var offset = 0
            while offset < frame.count {
                let take = min(Int.random(in: 1...9000), frame.count - offset)
                events += decoder.feed(Array(frame[offset..<(offset + take)]))
                offset += take
            }
            XCTAssertEqual(events, [.binary(payload)], "size \(count), split")
        }
    }

    func testByteAtATime() {
        var decoder = WebSocketDecoder(role: .server)
        var events: [Event] = []
        for byte in clientFrame(.text, Array("héllo wörld".utf8)) + clientFrame(.ping, [1, 2]) { events += decoder.feed([byte]) }
        XCTAssertEqual(events, [.text("héllo wörld"), .ping([1, 2])])
    }

    func testClientRoleReadsUnmaskedAndRejectsMasked() {
        var client = WebSocketDecoder(role: .client)
        XCTAssertEqual(client.feed(WebSocketFrame.encode(.text, payload: Array("hi".utf8))), [.text("hi")])
        var strict = WebSocketDecoder(role: .client)
        XCTAssertEqual(failureCode(strict.feed(clientFrame(.text, [0x41]))), 1002)
    }

    func testFragmentsAreReassembledAroundControlFrames() {
        let bytes = clientFrame(.text, Array("Hel".utf8), fin: false)
            + clientFrame(.ping, Array("p".utf8))
            + clientFrame(.continuation, Array("lo, ".utf8), fin: false)
            + clientFrame(.continuation, [], fin: false)
            + clientFrame(.continuation, Array("wörld".utf8))
            + clientFrame(.binary, [1], fin: false) + clientFrame(.continuation, [2, 3])
        XCTAssertEqual(decode(bytes), [.ping(Array("p".utf8)), .text("Hello, wörld"), .binary([1, 2, 3])])
    }

    func testMultibyteCharacterSplitAcrossFragmentsIsValid() {
        let euro = Array("€".utf8)   // E2 82 AC
        let bytes = clientFrame(.text, [euro[0]], fin: false) + clientFrame(.continuation, Array(euro[1...]))
        XCTAssertEqual(decode(bytes), [.text("€")])
    }

    func testEmptyMessages() {
        XCTAssertEqual(decode(clientFrame(.text, []) + clientFrame(.binary, [])), [.text(""), .binary([])])
    }

    func testUnmaskedClientFrameFails1002() {
        XCTAssertEqual(failureCode(decode(WebSocketFrame.encode(.text, payload: Array("hi".utf8)))), 1002)
    }

    func testReservedBitsAndOpcodesFail1002() {
        var rsv = clientFrame(.text, [0x41])
        rsv[0] |= 0x40
        XCTAssertEqual(failureCode(decode(rsv)), 1002)
        for opcode: UInt8 in [0x3, 0x7, 0xB, 0xF] {
            var frame = clientFrame(.binary, [1])
            frame[0] = 0x80 | opcode
            XCTAssertEqual(failureCode(decode(frame)), 1002, "opcode \(opcode)")
        }
    }

    func testControlFrameRules() {
        XCTAssertEqual(failureCode(decode(clientFrame(.ping, [UInt8](repeating: 0, count: 126)))), 1002)
        XCTAssertEqual(failureCode(decode(clientFrame(.ping, [1], fin: false))), 1002)
        XCTAssertEqual(decode(clientFrame(.ping, [UInt8](repeating: 9, count: 125))), [.ping([UInt8](repeating: 9, count: 125))])
        XCTAssertEqual(decode(clientFrame(.pong, [])), [.pong([])])
    }

    func testContinuationRules() {
        XCTAssertEqual(failureCode(decode(clientFrame(.continuation, [1]))), 1002)
        XCTAssertEqual(failureCode(decode(clientFrame(.text, [0x41], fin: false) + clientFrame(.text, [0x42]))), 1002)
        XCTAssertEqual(failureCode(decode(clientFrame(.binary, [1], fin: false) + clientFrame(.binary, [2]))), 1002)
    }

    func testTopBitOf64BitLengthFails1002() {
        var frame: [UInt8] = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1]
        frame += [1, 2, 3, 4]
        XCTAssertEqual(failureCode(decode(frame)), 1002)
    }

    func testOversizeFails1009FromTheHeaderAlone() {
        // Only the header of a 2 MiB frame: refused before its payload arrives.
        let header = Array(clientFrame(.binary, [UInt8](repeating: 0, count: 2 << 20)).prefix(14))
        XCTAssertEqual(failureCode(decode(header)), 1009)
        XCTAssertEqual(decode(clientFrame(.binary, [UInt8](repeating: 1, count: 1000)), maxMessageBytes: 1000).count, 1)
        XCTAssertEqual(failureCode(decode(clientFrame(.binary, [UInt8](repeating: 1, count: 1001)), maxMessageBytes: 1000)), 1009)
    }

    func testOversizeAcrossFragmentsFails1009() {
        let bytes = clientFrame(.text, [UInt8](repeating: 0x61, count: 600), fin: false)
            + clientFrame(.continuation, [UInt8](repeating: 0x61, count: 600))
        XCTAssertEqual(failureCode(decode(bytes, maxMessageBytes: 1000)), 1009)
    }

    func testInvalidUTF8Fails1007AsSoonAsItArrives() {
        XCTAssertEqual(failureCode(decode(clientFrame(.text, [0x41, 0xFF, 0x42]))), 1007)
        // First fragment already bad: no need to wait for the rest.
        XCTAssertEqual(failureCode(decode(clientFrame(.text, [0xC0, 0x80], fin: false))), 1007)   // overlong NUL
        XCTAssertEqual(failureCode(decode(clientFrame(.text, [0xED, 0xA0, 0x80]))), 1007)   // surrogate
        XCTAssertEqual(failureCode(decode(clientFrame(.text, [0xF4, 0x90, 0x80, 0x80]))), 1007)   // > U+10FFFF
        XCTAssertEqual(failureCode(decode(clientFrame(.text, [0x41, 0xE2, 0x82]))), 1007)   // truncated at the end
        // Binary is not checked.
        XCTAssertEqual(decode(clientFrame(.binary, [0xFF])), [.binary([0xFF])])
    }

    func testUTF8CheckAgreesWithTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF,
                                    0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF, 0x90, 0x9F, 0xA0, 0x8F]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...12, using: &generator)
            let bytes = (0..<count).map { _ in interesting.randomElement(using: &generator)! }
            let expected = String(validating: bytes, as: UTF8.self)
            let events = decode(clientFrame(.text, bytes))
            if let expected {
                XCTAssertEqual(events, [.text(expected)], "\(bytes)")
            } else {
                XCTAssertEqual(failureCode(events), 1007, "\(bytes)")
            }
        }
    }

    func testClosePayloads() {
        XCTAssertEqual(decode(clientFrame(.close, [])), [.close(code: 1005, reason: "")])
        XCTAssertEqual(decode(clientFrame(.close, WebSocketFrame.closePayload(code: 4001, reason: "bye"))), [.close(code: 4001, reason: "bye")])
        XCTAssertEqual(failureCode(decode(clientFrame(.close, [0x03]))), 1002)
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 2000, 5000] {
            XCTAssertEqual(failureCode(decode(clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)]))), 1002, "code \(code)")
        }
        XCTAssertEqual(failureCode(decode(clientFrame(.close, [0x03, 0xE8, 0xFF]))), 1007)
    }

    func testNothingIsDecodedAfterCloseOrFailure() {
        XCTAssertEqual(decode(clientFrame(.close, []) + clientFrame(.text, [0x41])), [.close(code: 1005, reason: "")])
        var decoder = WebSocketDecoder(role: .server)
        XCTAssertEqual(failureCode(decoder.feed(WebSocketFrame.encode(.text, payload: [0x41]))), 1002)
        XCTAssertTrue(decoder.isFinished)
        XCTAssertEqual(decoder.feed(clientFrame(.text, [0x41])), [])
    }
}
