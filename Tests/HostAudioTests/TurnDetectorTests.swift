import XCTest
@testable import HostAudio

final class TurnDetectorTests: XCTestCase {
    /// A turn as seen by the tests: start and stop stream times and the utterance.
    struct Turn { var start: Int; var stop: Int?; var utterance: [Int16] }

    private func turns(_ stream: [Int16], settings: TurnDetectionSettings = .init(), frameSize: Int = 320) -> [Turn] {
        var detector = TurnDetector(settings: settings)
        var result: [Turn] = []
        for frame in frames(stream, size: frameSize) {
            switch detector.process(frame) {
            case .speechStarted(let at)?:
                XCTAssertTrue(result.last.map { $0.stop != nil } ?? true, "started twice")
                result.append(Turn(start: at, stop: nil, utterance: []))
            case .speechStopped(let at, let utterance)?:
                XCTAssertNotNil(result.last, "stopped before starting")
                result[result.count - 1].stop = at
                result[result.count - 1].utterance = utterance
            case nil:
                break
            }
        }
        return result
    }

    /// Low noise, one burst at 1000 ms: started within ±60 ms of the onset, stopped ~800 ms after it ends.
    func testStartAndStopTimes() {
        for (f0, level) in [(150.0, -20.0), (220, -30), (300, -40)] {
            var audio = SyntheticAudio(seed: UInt64(f0))
            let stream = SyntheticAudio.mix(audio.noise(5_000, dBFS: -65), audio.speech(1_200, f0: f0, dBFS: level), at: 16_000)
            let found = turns(stream)
            XCTAssertEqual(found.count, 1, "f0 \(f0) level \(level)")
            guard let turn = found.first, let stop = turn.stop else { continue }
            XCTAssertEqual(Double(turn.start), 1_000, accuracy: 60, "f0 \(f0) level \(level)")
            XCTAssertTrue((2_200 + 800 - 20...2_200 + 800 + 100).contains(stop), "stop \(stop), f0 \(f0) level \(level)")
        }
    }

    /// The utterance is exactly the stream from 300 ms before the onset to the stop, so its first
    /// 300 ms are the (quiet) audio before the caller spoke.
    func testUtteranceIncludesPrefixPadding() throws {
        var audio = SyntheticAudio(seed: 9)
        let stream = SyntheticAudio.mix(audio.noise(4_000, dBFS: -65), audio.speech(1_000), at: 16 * 1_500)
        let turn = try XCTUnwrap(turns(stream).first)
        let stop = try XCTUnwrap(turn.stop)
        XCTAssertEqual(turn.utterance, Array(stream[(turn.start - 300) * 16 ..< stop * 16]))
        XCTAssertLessThan(levelDBFS(turn.utterance[0..<16 * 280]), -60, "prefix is the audio before speech")
        XCTAssertGreaterThan(levelDBFS(turn.utterance[16 * 300 ..< 16 * 400]), -40, "speech follows the prefix")
        XCTAssertLessThan(levelDBFS(turn.utterance.suffix(16 * 700)), -60, "trailing silence up to the stop")
    }

    /// A 10 ms spike is speech for one or two frames, which is below the minimum speech duration.
    func testClickDoesNotStartATurn() {
        var audio = SyntheticAudio(seed: 10)
        for offset in [0, 80, 160, 250] {   // aligned with a frame, inside one, straddling two
            let clickAt = 16_000 + offset
            let stream = SyntheticAudio.mix(audio.noise(3_000, dBFS: -65), audio.click(), at: clickAt)
            var detector = TurnDetector()
            var clickProbability = 0.0
            for (i, frame) in frames(stream).enumerated() {
                XCTAssertNil(detector.process(frame), "click at sample \(clickAt)")
                if i == clickAt / 320 { clickProbability = detector.vad.lastProbability }
            }
            XCTAssertGreaterThan(clickProbability, 0.5, "the click frame itself looks like speech")
        }
        var noisy = SyntheticAudio.mix(audio.noise(4_000, dBFS: -65), audio.click(), at: 16_000)
        noisy = SyntheticAudio.mix(noisy, audio.speech(800), at: 32_000)
        let found = turns(noisy)
        XCTAssertEqual(found.count, 1, "a click does not disturb the next real turn")
        XCTAssertEqual(Double(found.first?.start ?? 0), 2_000, accuracy: 60)
    }

    /// Two bursts 500 ms apart: one turn under the default 800 ms silence, two with 300 ms.
    func testPauseShorterThanSilenceKeepsOneTurn() {
        var audio = SyntheticAudio(seed: 11)
        var stream = audio.noise(5_000, dBFS: -65)
        stream = SyntheticAudio.mix(stream, audio.speech(800), at: 16 * 1_000)
        stream = SyntheticAudio.mix(stream, audio.speech(800, f0: 240), at: 16 * 2_300)

        let one = turns(stream)
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual(Double(one.first?.start ?? 0), 1_000, accuracy: 60)
        XCTAssertEqual(Double(one.first?.stop ?? 0), 3_100 + 800, accuracy: 80)

        let two = turns(stream, settings: TurnDetectionSettings(silenceMilliseconds: 300))
        XCTAssertEqual(two.count, 2)
        guard two.count == 2 else { return }
        XCTAssertEqual(Double(two[0].start), 1_000, accuracy: 60)
        XCTAssertEqual(Double(two[0].stop ?? 0), 1_800 + 300, accuracy: 80)
        XCTAssertEqual(Double(two[1].start), 2_300, accuracy: 60)
        XCTAssertEqual(Double(two[1].stop ?? 0), 3_100 + 300, accuracy: 80)
    }

    /// A caller who never pauses is cut at the maximum length; the next turn starts straight after.
    func testMaximumUtteranceLength() {
        var detector = TurnDetector(settings: TurnDetectionSettings(maximumUtteranceMilliseconds: 3_000))
        var events: [TurnEvent] = []
        for i in 0..<250 {   // 5 s of frames the VAD calls speech
            let frame = [Int16](repeating: Int16(truncatingIfNeeded: i), count: 320)
            if let event = detector.process(frame, speechProbability: 0.9) { events.append(event) }
        }
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events.first, .speechStarted(atMilliseconds: 0))
        if events.count == 3, case .speechStopped(let at, let utterance) = events[1] {
            XCTAssertEqual(at, 3_000)
            XCTAssertEqual(utterance.count, 16 * 3_000)
            XCTAssertEqual(events[2], .speechStarted(atMilliseconds: 3_000))
        } else {
            XCTFail("expected a stop at the maximum length, got \(events.count) events")
        }
    }

    func testMinimumSpeechAndThreshold() {
        func events(_ probabilities: [Double], threshold: Double = 0.5) -> [TurnEvent] {
            var detector = TurnDetector(settings: TurnDetectionSettings(threshold: threshold))
            let frame = [Int16](repeating: 0, count: 320)
            return probabilities.compactMap { detector.process(frame, speechProbability: $0) }
        }
        XCTAssertEqual(events([0, 1, 1, 1, 0, 0, 0, 0]), [], "60 ms is not enough")
        XCTAssertEqual(events([0, 1, 1, 1, 1, 0]), [.speechStarted(atMilliseconds: 20)], "80 ms is")
        XCTAssertEqual(events([0, 1, 1, 0, 1, 1, 0]), [.speechStarted(atMilliseconds: 20)], "one 20 ms dip is tolerated")
        XCTAssertEqual(events([0, 1, 1, 0, 0, 1, 1, 0]), [], "two dips restart the count")
        XCTAssertEqual(events([0.8, 0.8, 0.8, 0.8], threshold: 0.9), [])
        XCTAssertEqual(events([0.8, 0.8, 0.8, 0.8], threshold: 0.5), [.speechStarted(atMilliseconds: 0)])
    }

    /// A constant DC offset on the line yields the same turns, with the offset audio as utterance.
    func testDCOffsetGivesTheSameTurns() {
        var audio = SyntheticAudio(seed: 12)
        let stream = SyntheticAudio.mix(audio.noise(4_000, dBFS: -62), audio.speech(1_000), at: 16_000)
        let plain = turns(stream)
        let shifted = turns(SyntheticAudio.offset(stream, by: 5_000))
        XCTAssertEqual(plain.count, 1)
        XCTAssertEqual(plain.map(\.start), shifted.map(\.start))
        XCTAssertEqual(plain.map(\.stop), shifted.map(\.stop))
        XCTAssertEqual(shifted.first?.utterance, plain.first.map { SyntheticAudio.offset($0.utterance, by: 5_000) })
        XCTAssertEqual(turns(SyntheticAudio.offset(audio.noise(3_000, dBFS: -62), by: -5_000)).count, 0)
    }

    func testSilenceAndLowNoiseProduceNoTurns() {
        var audio = SyntheticAudio(seed: 13)
        XCTAssertEqual(turns(audio.silence(5_000)).count, 0)
        XCTAssertEqual(turns(audio.noise(10_000, dBFS: -50)).count, 0)
        XCTAssertEqual(turns(audio.noise(10_000, dBFS: -55, lowPass: 0.9)).count, 0)
        XCTAssertEqual(turns(audio.silence(2_000) + audio.noise(5_000, dBFS: -60)).count, 0)
    }

    /// The line gets 20 dB noisier: at most one short false turn while the floor adapts, then a real
    /// burst over the louder noise is found on time.
    func testNoiseFloorRising() {
        var audio = SyntheticAudio(seed: 14)
        var stream = audio.noise(2_000, dBFS: -65, lowPass: 0.9) + audio.noise(6_000, dBFS: -45, lowPass: 0.9)
        stream = SyntheticAudio.mix(stream, audio.speech(1_000, dBFS: -25), at: 16 * 5_000)
        let found = turns(stream)
        let real = found.filter { $0.start >= 4_000 }
        XCTAssertLessThanOrEqual(found.count - real.count, 1)
        for adaptation in found where adaptation.start < 4_000 {
            XCTAssertLessThanOrEqual(adaptation.stop ?? .max, 2_000 + 3_000, "the false turn ends once the floor adapts")
        }
        XCTAssertEqual(real.count, 1)
        XCTAssertEqual(Double(real.first?.start ?? 0), 5_000, accuracy: 60)
        XCTAssertEqual(Double(real.first?.stop ?? 0), 6_000 + 800, accuracy: 100)
    }

    /// The line gets 30 dB quieter: a soft talker 500 ms later (only 5 dB above the old noise)
    /// is found on time, and the noisy start of the stream started nothing.
    func testNoiseFloorFalling() {
        var audio = SyntheticAudio(seed: 15)
        var stream = audio.noise(3_000, dBFS: -40, lowPass: 0.5) + audio.noise(3_000, dBFS: -70, lowPass: 0.5)
        stream = SyntheticAudio.mix(stream, audio.speech(800, dBFS: -45), at: 16 * 3_500)
        let found = turns(stream)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(Double(found.first?.start ?? 0), 3_500, accuracy: 60)
        XCTAssertEqual(Double(found.first?.stop ?? 0), 4_300 + 800, accuracy: 100)
    }

    /// Speech from the first frame: still one turn, and the prefix is clamped to the stream start.
    func testSpeechAtStreamStart() throws {
        var audio = SyntheticAudio(seed: 16)
        let stream = SyntheticAudio.mix(audio.noise(4_000, dBFS: -65), audio.speech(1_500), at: 0)
        let found = turns(stream)
        XCTAssertEqual(found.count, 1)
        let turn = try XCTUnwrap(found.first)
        XCTAssertLessThanOrEqual(turn.start, 60)
        XCTAssertEqual(Double(turn.stop ?? 0), 1_500 + 800, accuracy: 100)
        XCTAssertEqual(turn.utterance, Array(stream[0 ..< (turn.stop ?? 0) * 16]))
    }

    /// 10 ms frames give the same turn times as 20 ms frames, to within a frame.
    func testOtherFrameSizes() {
        var audio = SyntheticAudio(seed: 17)
        let stream = SyntheticAudio.mix(audio.noise(4_000, dBFS: -65), audio.speech(1_000), at: 16_000)
        let twenty = turns(stream)
        let ten = turns(stream, frameSize: 160)
        XCTAssertEqual(twenty.count, 1)
        XCTAssertEqual(ten.count, 1)
        XCTAssertEqual(Double(ten.first?.start ?? -1), Double(twenty.first?.start ?? 0), accuracy: 20)
        XCTAssertEqual(Double(ten.first?.stop ?? -1), Double(twenty.first?.stop ?? 0), accuracy: 20)
    }

    /// The Twilio / 8 kHz path: mu-law or PCM16 bytes in 333-byte chunks → samples → 16 kHz → 20 ms
    /// frames → turns, with times still in stream milliseconds.
    func testEightKilohertzCallerEndToEnd() throws {
        var audio = SyntheticAudio(sampleRate: 8_000, seed: 18)
        let stream = SyntheticAudio.mix(audio.noise(4_000, dBFS: -60), audio.speech(1_200, f0: 200, dBFS: -24), at: 8 * 1_000)
        for encoding in ["pcm16", "mulaw"] {
            let bytes = encoding == "mulaw" ? MuLaw.encode(stream) : PCM16.littleEndianBytes(stream)
            var decoder = PCM16Decoder()
            let resampler = try Resampler(inputRate: 8_000, outputRate: 16_000)
            var reframer = Reframer(sampleRate: 16_000)
            var detector = TurnDetector()
            var events: [TurnEvent] = []
            for start in stride(from: 0, to: bytes.count, by: 333) {
                let chunk = bytes[start..<min(start + 333, bytes.count)]
                let samples = encoding == "mulaw" ? MuLaw.decode(chunk) : decoder.decode(chunk)
                reframer.append(resampler.process(samples))
                while let frame = reframer.nextFrame() {
                    if let event = detector.process(frame) { events.append(event) }
                }
            }
            XCTAssertEqual(events.count, 2, encoding)
            guard events.count == 2, case .speechStarted(let start) = events[0],
                  case .speechStopped(let stop, let utterance) = events[1] else { continue }
            XCTAssertEqual(Double(start), 1_000, accuracy: 60, encoding)
            XCTAssertEqual(Double(stop), 2_200 + 800, accuracy: 100, encoding)
            XCTAssertEqual(utterance.count, (stop - start + 300) * 16, encoding)
        }
    }

    func testResetStartsANewStreamDeterministically() {
        var audio = SyntheticAudio(seed: 19)
        let stream = SyntheticAudio.mix(audio.noise(3_000, dBFS: -65), audio.speech(700), at: 8_000)
        var detector = TurnDetector()
        let first = frames(stream).compactMap { detector.process($0) }
        XCTAssertEqual(detector.streamMilliseconds, 3_000)
        detector.reset()
        XCTAssertEqual(detector.streamMilliseconds, 0)
        XCTAssertFalse(detector.isSpeaking)
        let second = frames(stream).compactMap { detector.process($0) }
        XCTAssertEqual(first.count, 2)
        XCTAssertEqual(first, second)
    }
}
