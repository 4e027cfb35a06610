import HostNet
import XCTest

/// RTP (RFC 3550), the jitter buffer, RFC 4733 events and the SDP answer: pure values.
final class RTPTests: XCTestCase {
    func testAPacketRoundTripsAndCSRCsExtensionAndPaddingAreSkipped() throws {
        let packet = RTPPacket(payloadType: 0, marker: true, sequence: 65_535, timestamp: 0xdead_beef, ssrc: 0x0102_0304, payload: [1, 2, 3])
        XCTAssertEqual(RTPPacket(packet.bytes), packet)
        XCTAssertEqual(Array(packet.bytes.prefix(2)), [0x80, 0x80])
        // One CSRC, a one-word extension and two bytes of padding around a 2-byte payload.
        let dressed: [UInt8] = [0xb1, 0x08, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9, 9, 0xbe, 0xde, 0, 1, 5, 5, 5, 5, 0xaa, 0xbb, 0, 2]
        let read = try XCTUnwrap(RTPPacket(dressed))
        XCTAssertEqual(read.payloadType, 8)
        XCTAssertEqual(read.payload, [0xaa, 0xbb])
        XCTAssertNil(RTPPacket([0x80, 0xc8] + [UInt8](repeating: 0, count: 10)), "RTCP (sender report) is not audio")
        XCTAssertNil(RTPPacket([0x40] + [UInt8](repeating: 0, count: 11)), "version 1")
        XCTAssertNil(RTPPacket([0x80, 0]), "too short")
    }

    func testTheSenderNumbersPacketsAndMarksATalkspurtAfterAPause() {
        var sender = RTPSender(ssrc: 7, sequence: 65_535, timestamp: 100)
        let first = sender.packet(payloadType: 0, payload: [], samples: 160, now: 1_000)
        let second = sender.packet(payloadType: 0, payload: [], samples: 160, now: 1_020)
        XCTAssertTrue(first.marker)
        XCTAssertFalse(second.marker)
        XCTAssertEqual(second.sequence, 0, "wraps")
        XCTAssertEqual(second.timestamp, 260)
        let afterPause = sender.packet(payloadType: 0, payload: [], samples: 160, now: 2_040)
        XCTAssertTrue(afterPause.marker, "a new talkspurt")
        XCTAssertEqual(afterPause.timestamp, 420 + 1_000 * 8, "the clock ran through the pause")
    }

    func testTheJitterBufferReordersDeclaresLossDropsLateAndResyncs() {
        var buffer = RTPJitterBuffer(depth: 3)
        XCTAssertEqual(buffer.insert(sequence: 65_534, payload: [1]), [.audio([1])])
        XCTAssertEqual(buffer.insert(sequence: 0, payload: [3]), [], "65535 is missing: held")
        XCTAssertEqual(buffer.insert(sequence: 65_535, payload: [2]), [.audio([2]), .audio([3])], "reordered across the wrap")
        XCTAssertEqual(buffer.insert(sequence: 2, payload: [5]), [])
        XCTAssertEqual(buffer.insert(sequence: 3, payload: [6]), [])
        XCTAssertEqual(buffer.insert(sequence: 4, payload: [7]), [.lost, .audio([5]), .audio([6]), .audio([7])], "1 never came")
        XCTAssertEqual(buffer.lost, 1)
        XCTAssertEqual(buffer.insert(sequence: 1, payload: [4]), [], "too late")
        XCTAssertEqual(buffer.late, 1)
        XCTAssertEqual(buffer.insert(sequence: 30_000, payload: [9]), [.audio([9])], "a jump starts over")
    }

    func testTelephoneEventsGiveOneKeyPerEvent() throws {
        var receiver = TelephoneEventReceiver()
        let progress = TelephoneEvent(event: 11, end: false, duration: 160)
        let end = TelephoneEvent(event: 11, end: true, duration: 800)
        XCTAssertEqual(TelephoneEvent(end.bytes), end)
        XCTAssertNil(receiver.receive(progress, timestamp: 500))
        XCTAssertEqual(receiver.receive(try XCTUnwrap(TelephoneEvent(end.bytes)), timestamp: 500), "#")
        XCTAssertNil(receiver.receive(end, timestamp: 500), "the repeated end packets are one key")
        XCTAssertEqual(receiver.receive(TelephoneEvent(event: 5, end: true, duration: 800), timestamp: 1_300), "5")
        XCTAssertEqual(TelephoneEvent.event(for: "*"), 10)
        XCTAssertNil(TelephoneEvent(event: 40, end: true, duration: 1).key, "a tone, no key")
    }

    func testTheSDPAnswerNamesTheLawPtimeAndTelephoneEvent() {
        XCTAssertEqual(SDPAnswer.chooseLaw(pcmu: true, pcma: true), .pcmu)
        XCTAssertEqual(SDPAnswer.chooseLaw(pcmu: false, pcma: true), .pcma)
        XCTAssertNil(SDPAnswer.chooseLaw(pcmu: false, pcma: false))
        let text = SDPAnswer.text(address: "192.0.2.1", port: 40_000, law: .pcma, telephoneEvent: 101, sessionID: 9)
        XCTAssertTrue(text.contains("c=IN IP4 192.0.2.1\r\n"))
        XCTAssertTrue(text.contains("m=audio 40000 RTP/AVP 8 101\r\n"))
        XCTAssertTrue(text.contains("a=rtpmap:8 PCMA/8000\r\n"))
        XCTAssertTrue(text.contains("a=rtpmap:101 telephone-event/8000\r\n"))
        XCTAssertTrue(text.contains("a=ptime:20\r\n"))
        XCTAssertTrue(SDPAnswer.text(address: "2001:db8::1", port: 1, law: .pcmu, telephoneEvent: nil, sessionID: 1).contains("c=IN IP6 2001:db8::1"))
    }
}
