import HostAudio
@testable import HostVoice
import XCTest

/// The channels' wire formats (Voice/Wire/CallAudioCodec.swift), without sockets: what a voice
/// socket's `start` may ask for, and that each format's bytes become the samples the call gets.
final class CallAudioCodecTests: XCTestCase {
    /// A 440 Hz tone, loud enough to use most of mu-law's range.
    func tone(_ count: Int, rate: Int) -> [Int16] {
        (0..<count).map { Int16(12_000 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
    }

    func testStartAcceptsTheThreeRatesAndBothEncodingsAndRefusesTheRestSayingWhy() throws {
        for rate in [8_000, 16_000, 24_000] {
            for encoding in ["pcm16", "mulaw"] {
                let format = try CallAudioFormat(sampleRate: rate, encoding: encoding)
                XCTAssertEqual(format.sampleRate, rate)
                XCTAssertEqual(format.encoding.rawValue, encoding)
            }
        }
        XCTAssertThrowsError(try CallAudioFormat(sampleRate: 11_025, encoding: "pcm16")) {
            XCTAssertEqual("\($0)", "sample_rate must be 8000, 16000 or 24000 (got 11025)")
        }
        XCTAssertThrowsError(try CallAudioFormat(sampleRate: 16_000, encoding: "opus")) {
            XCTAssertEqual("\($0)", "encoding must be pcm16 or mulaw (got opus)")
        }
        XCTAssertEqual(CallAudioFormat.voiceSocketDefault, try CallAudioFormat(sampleRate: 16_000, encoding: "pcm16"))
        XCTAssertEqual(CallAudioFormat.twilio, try CallAudioFormat(sampleRate: 8_000, encoding: "mulaw"))
    }

    func testPCM16At16kHzRoundTripsExactlyInChunksThatSplitSamples() throws {
        let samples = tone(320, rate: 16_000)
        let bytes = CallAudioCodec.encode(samples[...], as: .pcm16)
        XCTAssertEqual(bytes.count, 640)
        var codec = try CallAudioCodec(format: .voiceSocketDefault)
        var decoded: [Int16] = []
        var offset = 0
        for size in [1, 3, 5, 7, 2, 101] {  // odd sizes: a sample's two bytes arrive in two chunks
            decoded += codec.decode(Array(bytes[offset..<offset + size]))
            offset += size
        }
        decoded += codec.decode(Array(bytes[offset...]))
        XCTAssertEqual(decoded, samples)
    }

    func testAnOddByteWaitsForItsPartner() throws {
        var codec = try CallAudioCodec(format: .voiceSocketDefault)
        XCTAssertEqual(codec.decode([0x34, 0x12, 0xff]), [0x1234])
        XCTAssertEqual(codec.decode([0x7f]), [0x7fff])
        XCTAssertEqual(codec.decode([]), [])
    }

    func testMuLawRoundTripsEveryCodeAndAnyChunkSize() throws {
        // Every G.711 code but negative zero (0x7F), which decodes to 0 and re-encodes as 0xFF.
        let codes = (0...255).map(UInt8.init).filter { $0 != 0x7f }
        var codec = try CallAudioCodec(format: .twilio, outputRate: 8_000)
        let decoded = codec.decode(Array(codes[..<3])) + codec.decode(Array(codes[3...]))
        XCTAssertEqual(decoded, MuLaw.decode(codes))
        XCTAssertEqual(CallAudioCodec.encode(decoded[...], as: .mulaw), codes)
    }

    /// Each rate reaches 16 kHz exactly as the calls' own decode-then-resample did before the
    /// codec (the same decoder and speex resampler), and at the rate's length.
    func testEveryFormatBecomes16kHzLikeDecodeThenResample() throws {
        for rate in [8_000, 16_000, 24_000] {
            for encoding in [CallAudioFormat.Encoding.pcm16, .mulaw] {
                let format = try CallAudioFormat(sampleRate: rate, encoding: encoding.rawValue)
                let seconds = tone(rate, rate: rate)
                let wire = CallAudioCodec.encode(seconds[...], as: encoding)
                var codec = try CallAudioCodec(format: format)
                var out: [Int16] = []
                let chunk = encoding == .mulaw ? rate / 50 : rate / 50 * 2 + 1  // 20 ms, PCM16 split mid-sample
                for start in stride(from: 0, to: wire.count, by: chunk) {
                    out += codec.decode(Array(wire[start..<min(start + chunk, wire.count)]))
                }
                let reference = try Resampler(inputRate: rate, outputRate: 16_000)
                let expected = reference.process(encoding == .mulaw ? MuLaw.decode(wire) : PCM16.samples(littleEndian: wire))
                XCTAssertEqual(out.count, expected.count, "\(format)")
                XCTAssertEqual(out, expected, "\(format)")
                // One second in is (speex's filter delay aside) one second out at 16 kHz.
                XCTAssertEqual(Double(out.count), 16_000, accuracy: 100, "\(format)")
            }
        }
    }

    func testAVoiceSocketsFormatIsFixedOnceAudioArrived() throws {
        var inbound = CallAudioInbound(format: .voiceSocketDefault)
        try inbound.configure(sampleRate: 8_000, encoding: "mulaw")
        XCTAssertEqual(inbound.format, .twilio)
        XCTAssertEqual(inbound.decode([0xff, 0xff], at: 8_000), [0, 0])
        XCTAssertThrowsError(try inbound.configure(sampleRate: 16_000, encoding: "pcm16")) {
            XCTAssertEqual("\($0)", "start must come before any audio")
        }
        XCTAssertEqual(inbound.format, .twilio)
        // A Realtime call falling back to the cascaded pipeline asks for 16 kHz from then on.
        XCTAssertEqual(inbound.decode(Array(repeating: 0xff, count: 160), at: 16_000).count,
                       try Resampler(inputRate: 8_000, outputRate: 16_000).process(Array(repeating: 0, count: 160)).count)
    }
}
