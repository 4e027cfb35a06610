import Foundation
import TestSupport
import XCTest
@testable import HostAudio

final class WAVFileTests: XCTestCase {
    /// A WAV header for arbitrary formats (what other tools write), followed by `data`.
    private func wav(format: UInt16, channels: Int, rate: Int, bits: Int, data: [UInt8], extraChunk: Bool = false) -> [UInt8] {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16((v >> 16) & 0xFFFF) }
        let blockAlign = channels * bits / 8
        var fmt = le16(Int(format)) + le16(channels) + le32(rate) + le32(rate * blockAlign) + le16(blockAlign) + le16(bits)
        if format != 1 { fmt += le16(0) }   // cbSize, as non-PCM writers add
        var body = Array("WAVE".utf8) + Array("fmt ".utf8) + le32(fmt.count) + fmt
        if fmt.count & 1 == 1 { body.append(0) }
        if extraChunk { body += Array("LIST".utf8) + le32(3) + [1, 2, 3, 0] }   // odd size: padded
        body += Array("data".utf8) + le32(data.count) + data
        return Array("RIFF".utf8) + le32(body.count) + body
    }

    func testWriteThenReadGivesTheSameSamplesAndRate() throws {
        let samples = (0..<16_000).map { Int16(truncatingIfNeeded: ($0 * 37) % 65_536 - 32_768) }
        let directory = TemporaryDirectory(prefix: "wav")
        let path = directory.file("round.wav")
        try WAVFile.write(WAVAudio(samples: samples, sampleRate: 24_000), to: path)
        let read = try WAVFile.read(path: path)
        XCTAssertEqual(read.sampleRate, 24_000)
        XCTAssertEqual(read.samples, samples)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)).count, 44 + samples.count * 2, "canonical 44-byte header")
    }

    func testStereoIsAveragedToMonoAndOtherChunksAreSkipped() throws {
        // Left/right pairs: (1000, 3000) → 2000, (-4000, 0) → -2000, (32767, 32767) → 32767.
        let pairs: [Int16] = [1_000, 3_000, -4_000, 0, 32_767, 32_767]
        let bytes = wav(format: 1, channels: 2, rate: 44_100, bits: 16, data: PCM16.littleEndianBytes(pairs), extraChunk: true)
        let audio = try WAVFile.decode(bytes, name: "stereo.wav")
        XCTAssertEqual(audio.sampleRate, 44_100)
        XCTAssertEqual(audio.samples, [2_000, -2_000, 32_767])
    }

    func testMuLawIsDecodedWithTheG711Table() throws {
        let codes: [UInt8] = [0xFF, 0x80, 0x00, 0xCE, 0x4E]
        let audio = try WAVFile.decode(wav(format: 7, channels: 1, rate: 8_000, bits: 8, data: codes), name: "phone.wav")
        XCTAssertEqual(audio.sampleRate, 8_000)
        XCTAssertEqual(audio.samples, [0, 32_124, -32_124, 988, -988])
    }

    func testFloatAndOtherEncodingsAreRefusedWithHowToConvert() {
        let float = wav(format: 3, channels: 1, rate: 48_000, bits: 32, data: [UInt8](repeating: 0, count: 16))
        XCTAssertThrowsError(try WAVFile.decode(float, name: "in.wav")) { error in
            XCTAssertEqual(error as? WAVFile.Failure, .unsupported(path: "in.wav", encoding: "32-bit float"))
            XCTAssertEqual("\(error)", "in.wav is 32-bit float WAV; convert it to 16-bit PCM: sox in.wav -b 16 out.wav")
        }
        let eightBit = wav(format: 1, channels: 1, rate: 8_000, bits: 8, data: [128, 128])
        XCTAssertThrowsError(try WAVFile.decode(eightBit, name: "u8.wav")) { error in
            XCTAssertEqual(error as? WAVFile.Failure, .unsupported(path: "u8.wav", encoding: "8-bit PCM"))
        }
    }

    func testGarbageTruncatedAndMissingFilesAreRefused() {
        XCTAssertThrowsError(try WAVFile.decode(Array("ID3\u{3}mp3 bytes, not a wave file".utf8), name: "song.mp3")) { error in
            XCTAssertEqual(error as? WAVFile.Failure, .notWAV(path: "song.mp3"))
        }
        let whole = wav(format: 1, channels: 1, rate: 16_000, bits: 16, data: [UInt8](repeating: 1, count: 640))
        XCTAssertThrowsError(try WAVFile.decode(Array(whole.prefix(300)), name: "cut.wav")) { error in
            guard case .malformed(_, let reason)? = error as? WAVFile.Failure else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("promises 640 bytes"), reason)
        }
        XCTAssertThrowsError(try WAVFile.decode(Array(whole.prefix(30)), name: "header.wav")) { error in
            guard case .malformed(_, let reason)? = error as? WAVFile.Failure else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("cut short"), reason)
        }
        XCTAssertThrowsError(try WAVFile.read(path: "/nonexistent/call.wav")) { error in
            XCTAssertEqual(error as? WAVFile.Failure, .io(path: "/nonexistent/call.wav", reason: "no such file"))
        }
    }

    func testAStreamedFileWithUnknownDataLengthReadsToTheEnd() throws {
        var bytes = wav(format: 1, channels: 1, rate: 16_000, bits: 16, data: PCM16.littleEndianBytes([5, -5, 7]))
        bytes.replaceSubrange(bytes.count - 10..<bytes.count - 6, with: [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual(try WAVFile.decode(bytes, name: "live.wav").samples, [5, -5, 7])
    }
}
