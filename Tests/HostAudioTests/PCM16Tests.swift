import XCTest
@testable import HostAudio

final class PCM16Tests: XCTestCase {
    func testLittleEndianLayout() {
        XCTAssertEqual(PCM16.littleEndianBytes([0x1234, -2, Int16.min]), [0x34, 0x12, 0xFE, 0xFF, 0x00, 0x80])
        XCTAssertEqual(PCM16.samples(littleEndian: [0x34, 0x12, 0xFE, 0xFF, 0x00, 0x80]), [0x1234, -2, Int16.min])
        XCTAssertEqual(PCM16.samples(littleEndian: [0x34, 0x12, 0x99]), [0x1234], "odd trailing byte is not a sample")
    }

    func testRoundTripOfEveryValue() {
        let all = (Int(Int16.min)...Int(Int16.max)).map { Int16($0) }
        XCTAssertEqual(PCM16.samples(littleEndian: PCM16.littleEndianBytes(all)), all)
    }

    /// Chunks of 1 byte, 333 bytes and other odd sizes decode to exactly the whole stream.
    func testDecoderKeepsOddByteAcrossChunks() {
        var audio = SyntheticAudio(seed: 3)
        let samples = audio.speech(700)
        let bytes = PCM16.littleEndianBytes(samples)
        for sizes in [[1], [333], [1, 333, 2, 7, 640], [639, 1], [3]] {
            var decoder = PCM16Decoder()
            var out: [Int16] = []
            var offset = 0
            var turn = 0
            while offset < bytes.count {
                let size = min(sizes[turn % sizes.count], bytes.count - offset)
                out += decoder.decode(bytes[offset..<offset + size])
                offset += size
                turn += 1
                XCTAssertEqual(decoder.pendingByte != nil, offset % 2 == 1, "pending byte after \(offset) bytes")
            }
            XCTAssertEqual(out, samples, "chunk sizes \(sizes)")
        }
    }

    func testDecoderReset() {
        var decoder = PCM16Decoder()
        XCTAssertEqual(decoder.decode([0x01]), [])
        decoder.reset()
        XCTAssertEqual(decoder.decode([0x02, 0x00]), [2], "the held byte belonged to the old stream")
    }
}
