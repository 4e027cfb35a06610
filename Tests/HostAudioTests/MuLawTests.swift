import XCTest
@testable import HostAudio

final class MuLawTests: XCTestCase {
    /// Values worked by hand from ITU-T G.191 `ulaw_compress` / `ulaw_expand`.
    func testKnownValues() {
        let encoded: [(Int16, UInt8)] = [
            (0, 0xFF), (1, 0xFF), (-1, 0x7F), (1_000, 0xCE), (-1_000, 0x4E),
            (32_767, 0x80), (-32_768, 0x00), (8, 0xFE), (-9, 0x7E),
        ]
        for (sample, byte) in encoded {
            XCTAssertEqual(MuLaw.encode(sample), byte, "encode(\(sample))")
        }
        let decoded: [(UInt8, Int16)] = [
            (0xFF, 0), (0x7F, 0), (0x80, 32_124), (0x00, -32_124), (0x01, -31_100),
            (0xCE, 988), (0x4E, -988), (0xFE, 8), (0x7E, -8), (0xF0, 120),
        ]
        for (byte, sample) in decoded {
            XCTAssertEqual(MuLaw.decode(byte), sample, "decode(0x\(String(byte, radix: 16)))")
        }
    }

    /// Every code survives decode → encode, except negative zero, which becomes positive zero.
    func testEveryCodeRoundTrips() {
        for code in 0...255 {
            let byte = UInt8(code)
            XCTAssertEqual(MuLaw.encode(MuLaw.decode(byte)), byte == 0x7F ? 0xFF : byte, "code 0x\(String(code, radix: 16))")
        }
    }

    /// Non-negative samples match the classic 16-bit CCITT encoder (bias 132, clip 32635), an
    /// independent formulation; negatives follow G.191's one's-complement symmetry.
    func testAgreesWithIndependentEncoder() {
        func classic(_ x: Int) -> UInt8 {
            let biased = min(x, 32_635) + 132
            let exponent = (Int.bitWidth - 1 - biased.leadingZeroBitCount) - 7
            let mantissa = (biased >> (exponent + 3)) & 0x0F
            return ~UInt8(exponent << 4 | mantissa)
        }
        for x in 0...32_767 {
            XCTAssertEqual(MuLaw.encode(Int16(x)), classic(x), "encode(\(x))")
        }
        for x in -32_768 ..< 0 {
            XCTAssertEqual(MuLaw.encode(Int16(x)), MuLaw.encode(~Int16(x)) & 0x7F, "encode(\(x))")
        }
    }

    /// Quantisation error is within half a step of the segment, and the transfer curve is monotonic.
    func testQuantisationErrorAndMonotonicity() {
        var previous = Int.min
        for x in -32_768...32_767 {
            let code = MuLaw.encode(Int16(x))
            let y = Int(MuLaw.decode(code))
            let exponent = Int((~code >> 4) & 0x07)
            let halfStep = 4 << exponent
            let limit = abs(x) > 32_124 ? 644 : halfStep + 4
            XCTAssertLessThanOrEqual(abs(y - x), limit, "x=\(x) → \(y)")
            XCTAssertGreaterThanOrEqual(y, previous, "not monotonic at \(x)")
            previous = y
        }
    }

    func testBufferRoundTripOfSpeech() {
        var audio = SyntheticAudio(seed: 7)
        let speech = audio.speech(500)
        let restored = MuLaw.decode(MuLaw.encode(speech))
        XCTAssertEqual(restored.count, speech.count)
        // µ-law keeps roughly 38 dB signal-to-quantisation-noise on speech.
        let error = zip(speech, restored).map { Int16(clamping: Int($0) - Int($1)) }
        XCTAssertGreaterThan(levelDBFS(speech[...]) - levelDBFS(error[...]), 30)
    }
}
