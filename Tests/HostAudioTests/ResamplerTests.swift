import Foundation
import XCTest
@testable import HostAudio

final class ResamplerTests: XCTestCase {
    /// The caller rates to and from 16 kHz, passthrough, and espeak-ng's 22,050 Hz output.
    static let pairs = [(8_000, 16_000), (24_000, 16_000), (16_000, 8_000), (16_000, 24_000), (16_000, 16_000), (22_050, 16_000), (22_050, 8_000)]

    private func resample(_ input: [Int16], from: Int, to: Int, chunks: [Int]) throws -> [Int16] {
        let resampler = try Resampler(inputRate: from, outputRate: to)
        var out: [Int16] = []
        var offset = 0
        var turn = 0
        while offset < input.count {
            let size = min(chunks[turn % chunks.count], input.count - offset)
            out += resampler.process(Array(input[offset..<offset + size]))
            offset += size
            turn += 1
        }
        return out + resampler.flush()
    }

    /// A stream of N samples comes out as round(N · out/in) samples whatever the chunking.
    func testLengthsForAllPairsAndChunkings() throws {
        for (from, to) in Self.pairs {
            let n = from * 1_234 / 1_000 + 3
            let input = SyntheticAudio(sampleRate: from).sine(440, ms: 1_300).prefix(n).map { $0 }
            let expected = (n * to + from / 2) / from
            for chunks in [[1], [333], [160, 7, 1_000], [n]] {
                let out = try resample(input, from: from, to: to, chunks: chunks)
                XCTAssertEqual(out.count, expected, "\(from)→\(to) chunks \(chunks)")
            }
        }
    }

    /// The filter state carries across calls: chunk boundaries leave no trace in the output.
    func testChunkingDoesNotChangeTheSamples() throws {
        var audio = SyntheticAudio(sampleRate: 8_000, seed: 11)
        let input = audio.speech(600)
        let whole = try resample(input, from: 8_000, to: 16_000, chunks: [input.count])
        for chunks in [[1], [333], [80, 1, 13]] {
            XCTAssertEqual(try resample(input, from: 8_000, to: 16_000, chunks: chunks), whole, "chunks \(chunks)")
        }
    }

    /// A 440 Hz tone keeps its zero-crossing rate (880/s), its amplitude and its phase (no delay).
    func testFrequencyAmplitudeAndAlignmentPreserved() throws {
        for (from, to) in Self.pairs {
            let input = SyntheticAudio(sampleRate: from).sine(440, ms: 1_000)
            let out = try resample(input, from: from, to: to, chunks: [333])
            XCTAssertEqual(Double(zeroCrossings(out[...])), 880, accuracy: 3, "\(from)→\(to)")
            let ideal = SyntheticAudio(sampleRate: to).sine(440, ms: 1_000)
            // Skip the edges, where the filter sees the stream start and the flushed zeros.
            let middle = (to / 20)..<(to - to / 20)
            let error = middle.map { Double(out[$0]) - Double(ideal[$0]) }
            let rms = sqrt(error.reduce(0) { $0 + $1 * $1 } / Double(error.count))
            XCTAssertLessThan(rms, 5, "\(from)→\(to): error RMS \(rms) against a 7071 RMS tone")
        }
    }

    /// Downsampling removes what the lower rate cannot carry instead of folding it back as aliases.
    func testDownsamplingFiltersAboveNyquist() throws {
        let input = SyntheticAudio(sampleRate: 16_000).sine(6_000, ms: 500)
        let out = try resample(input, from: 16_000, to: 8_000, chunks: [320])
        XCTAssertLessThan(levelDBFS(out[400..<3_600]) - levelDBFS(input[...]), -40)
    }

    func testPassthroughIsIdentity() throws {
        var audio = SyntheticAudio(seed: 5)
        let input = audio.noise(100, dBFS: -20)
        let resampler = try Resampler(inputRate: 16_000, outputRate: 16_000)
        XCTAssertEqual(resampler.process(input), input)
        XCTAssertEqual(resampler.flush(), [])
        XCTAssertEqual(resampler.inputLatency, 0)
    }

    /// After flush the resampler starts a fresh stream: same output as a new instance.
    func testFlushStartsANewStream() throws {
        let input = SyntheticAudio(sampleRate: 24_000).sine(300, ms: 200)
        let resampler = try Resampler(inputRate: 24_000, outputRate: 16_000)
        let first = resampler.process(input) + resampler.flush()
        let second = resampler.process(input) + resampler.flush()
        XCTAssertEqual(first, second)
        XCTAssertGreaterThan(resampler.inputLatency, 0)
    }

    func testInvalidRatesThrow() {
        XCTAssertThrowsError(try Resampler(inputRate: 0, outputRate: 16_000)) { error in
            XCTAssertEqual(error as? Resampler.Failure, .invalidRates(input: 0, output: 16_000))
        }
    }
}
