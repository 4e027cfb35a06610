import HostAudio
import XCTest

/// G.711 A-law: the reference points of the law and a round trip within its quantisation step.
final class ALawTests: XCTestCase {
    func testKnownCodesAndRoundTrip() {
        XCTAssertEqual(ALaw.encode(0), 0xd5, "zero is 0xD5 (0x80 ^ 0x55)")
        XCTAssertEqual(ALaw.encode(-1), 0x55)
        XCTAssertEqual(ALaw.encode(Int16.max), 0xaa, "the top positive code")
        XCTAssertEqual(ALaw.encode(Int16.min), 0x2a, "the top negative code")
        XCTAssertEqual(ALaw.decodeTable[0xd5], 8)
        XCTAssertEqual(ALaw.decodeTable[0xaa], 32_256)
        XCTAssertEqual(ALaw.decodeTable[0x2a], -32_256)
        for sample in stride(from: -32_000, through: 32_000, by: 37) {
            let decoded = Int(ALaw.decode([ALaw.encode(Int16(sample))])[0])
            // The step is 16 in the first two segments and doubles after: at most 1/32 of the value off.
            XCTAssertLessThanOrEqual(abs(decoded - sample), max(16, abs(sample) / 16), "\(sample) -> \(decoded)")
        }
    }
}
