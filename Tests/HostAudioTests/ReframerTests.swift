import XCTest
@testable import HostAudio

final class ReframerTests: XCTestCase {
    func testFrameSizes() {
        XCTAssertEqual(Reframer(sampleRate: 16_000).frameSize, 320)
        XCTAssertEqual(Reframer(sampleRate: 8_000).frameSize, 160)
        XCTAssertEqual(Reframer(sampleRate: 24_000).frameSize, 480)
        XCTAssertEqual(Reframer(sampleRate: 16_000, frameMilliseconds: 10).frameSize, 160)
    }

    /// Any chunking yields the same exact 320-sample frames, in order, with the remainder kept.
    func testOddChunkSizes() {
        let samples = (0..<16_000 + 123).map { Int16(truncatingIfNeeded: $0 &* 7) }
        for sizes in [[1], [333], [7, 1, 640, 319, 321], [16_123]] {
            var reframer = Reframer(sampleRate: 16_000)
            var out: [[Int16]] = []
            var offset = 0
            var turn = 0
            while offset < samples.count {
                let size = min(sizes[turn % sizes.count], samples.count - offset)
                out += reframer.frames(appending: samples[offset..<offset + size])
                offset += size
                turn += 1
                XCTAssertLessThan(reframer.pendingCount, 320)
            }
            XCTAssertEqual(out.count, 50, "sizes \(sizes)")
            XCTAssertTrue(out.allSatisfy { $0.count == 320 })
            XCTAssertEqual(Array(out.joined()), Array(samples.prefix(16_000)))
            XCTAssertEqual(reframer.pendingCount, 123)
            let last = reframer.flush()
            XCTAssertEqual(last?.count, 320)
            XCTAssertEqual(last.map { Array($0.prefix(123)) }, Array(samples.suffix(123)))
            XCTAssertEqual(last.map { Array($0.dropFirst(123)) }, [Int16](repeating: 0, count: 197), "zero padding")
            XCTAssertNil(reframer.flush())
        }
    }

    /// Bytes in 333-byte and 1-byte chunks through PCM16Decoder, then frames: the wire path.
    func testBytesToFrames() {
        let samples = (0..<3_200).map { Int16(truncatingIfNeeded: $0 &* 31 &- 5_000) }
        let bytes = PCM16.littleEndianBytes(samples)
        for size in [1, 333] {
            var decoder = PCM16Decoder()
            var reframer = Reframer(sampleRate: 16_000)
            var out: [Int16] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                reframer.append(decoder.decode(bytes[start..<min(start + size, bytes.count)]))
                while let frame = reframer.nextFrame() { out += frame }
            }
            XCTAssertEqual(out, samples, "chunk \(size)")
        }
    }

    func testFlushDrainsUndrainedFramesFirstAndReset() {
        var reframer = Reframer(frameSize: 4)
        reframer.append([1, 2, 3, 4, 5, 6])
        XCTAssertEqual(reframer.flush(), [1, 2, 3, 4])
        XCTAssertEqual(reframer.flush(), [5, 6, 0, 0])
        XCTAssertNil(reframer.flush())
        reframer.append([9, 9, 9])
        reframer.reset()
        XCTAssertEqual(reframer.pendingCount, 0)
        XCTAssertNil(reframer.nextFrame())
    }
}
