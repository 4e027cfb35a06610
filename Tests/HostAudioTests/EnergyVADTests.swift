import Foundation
import XCTest
@testable import HostAudio

final class EnergyVADTests: XCTestCase {
    private func probabilities(_ samples: [Int16], configuration: EnergyVAD.Configuration = .init()) -> [Double] {
        var vad = EnergyVAD(configuration: configuration)
        return frames(samples).map { vad.probability($0) }
    }

    func testSilenceAndLowNoiseAreNotSpeech() {
        var audio = SyntheticAudio(seed: 1)
        let cases: [(String, [Int16])] = [
            ("digital silence", audio.silence(3_000)),
            ("white noise -60 dBFS", audio.noise(5_000, dBFS: -60)),
            ("white noise -50 dBFS", audio.noise(5_000, dBFS: -50)),
            ("rumble -55 dBFS", audio.noise(5_000, dBFS: -55, lowPass: 0.9)),
            ("silence then -62 dBFS noise", audio.silence(1_000) + audio.noise(3_000, dBFS: -62)),
        ]
        for (name, samples) in cases {
            let p = probabilities(samples)
            XCTAssertLessThan(p.max() ?? 1, 0.5, name)
        }
    }

    func testSpeechOverLowNoiseIsSpeech() {
        for f0 in [150.0, 220, 300] {
            var audio = SyntheticAudio(seed: UInt64(f0))
            let stream = SyntheticAudio.mix(audio.noise(4_000, dBFS: -65), audio.speech(2_000, f0: f0, dBFS: -30), at: 16_000)
            let p = probabilities(stream)
            let inside = p[50..<150]
            let outside = Array(p[0..<50]) + Array(p[152...])
            XCTAssertGreaterThan(Double(inside.filter { $0 >= 0.5 }.count) / Double(inside.count), 0.8, "f0 \(f0)")
            XCTAssertLessThan(outside.max() ?? 1, 0.5, "f0 \(f0)")
        }
    }

    /// Levels and zero crossings are measured around each frame's mean (in integers), so a constant
    /// offset changes nothing at all.
    func testConstantDCOffsetDoesNotMatter() {
        var audio = SyntheticAudio(seed: 2)
        let stream = SyntheticAudio.mix(audio.noise(4_000, dBFS: -60), audio.speech(1_500), at: 16_000)
        let plain = probabilities(stream)
        XCTAssertTrue(plain.contains { $0 >= 0.5 } && plain.contains { $0 < 0.5 })
        for dc in [6_000, -6_000, 1] {
            XCTAssertEqual(probabilities(SyntheticAudio.offset(stream, by: dc)), plain, "DC \(dc)")
        }
        let offsetNoise = SyntheticAudio.offset(audio.noise(3_000, dBFS: -60), by: 3_000)
        XCTAssertLessThan(probabilities(offsetNoise).max() ?? 1, 0.5, "DC on quiet noise is not speech")
    }

    func testFloorFallsQuicklyWhenTheLineGetsQuieter() {
        var audio = SyntheticAudio(seed: 3)
        var vad = EnergyVAD()
        for frame in frames(audio.noise(3_000, dBFS: -40, lowPass: 0.5)) { _ = vad.probability(frame) }
        XCTAssertEqual(vad.noiseFloorDBFS, -40, accuracy: 2)
        for frame in frames(audio.noise(300, dBFS: -70, lowPass: 0.5)) { _ = vad.probability(frame) }
        XCTAssertEqual(vad.noiseFloorDBFS, -70, accuracy: 3, "within 300 ms of the drop")
    }

    func testFloorRisesOnSteadyNoiseButNotDuringSpeech() {
        var audio = SyntheticAudio(seed: 4)
        var vad = EnergyVAD()
        for frame in frames(audio.noise(2_000, dBFS: -65, lowPass: 0.9)) { _ = vad.probability(frame) }
        var late: [Double] = []
        for (i, frame) in frames(audio.noise(3_000, dBFS: -45, lowPass: 0.9)).enumerated() {
            let p = vad.probability(frame)
            if i >= 75 { late.append(p) }
        }
        XCTAssertEqual(vad.noiseFloorDBFS, -45, accuracy: 3, "adapted to the louder line")
        XCTAssertLessThan(late.max() ?? 1, 0.5, "steady noise is not speech 1.5 s after the step")

        var talker = EnergyVAD()
        let speech = SyntheticAudio.mix(audio.noise(5_000, dBFS: -65), audio.speech(4_000, dBFS: -25), at: 8_000)
        for frame in frames(Array(speech.prefix(16 * 4_400))) { _ = talker.probability(frame) }
        XCTAssertLessThan(talker.noiseFloorDBFS, -60, "4 s of speech did not raise the floor")
    }

    /// White noise crosses zero at ~0.5 per sample, voiced speech far less: the cue keeps a 15 dB
    /// white-noise step from reading as speech, without touching voiced frames.
    func testZeroCrossingCue() {
        var audio = SyntheticAudio(seed: 5)
        let step = audio.noise(2_000, dBFS: -65) + audio.noise(300, dBFS: -50)
        var withoutCue = EnergyVAD.Configuration()
        withoutCue.useZeroCrossingCue = false
        XCTAssertLessThan(probabilities(step).suffix(15).max() ?? 1, 0.5)
        XCTAssertGreaterThan(probabilities(step, configuration: withoutCue).suffix(15).min() ?? 0, 0.5)

        var vad = EnergyVAD()
        _ = vad.probability(audio.noise(20, dBFS: -40))
        XCTAssertEqual(vad.lastZeroCrossingRate, 0.5, accuracy: 0.06)
        _ = vad.probability(audio.speech(20, f0: 200, dBFS: -20))
        XCTAssertLessThan(vad.lastZeroCrossingRate, 0.25)
    }

    func testDeterministicAndResettable() {
        var audio = SyntheticAudio(seed: 6)
        let stream = SyntheticAudio.mix(audio.noise(3_000, dBFS: -55), audio.speech(1_000), at: 8_000)
        var vad = EnergyVAD()
        let first = frames(stream).map { vad.probability($0) }
        vad.reset()
        let second = frames(stream).map { vad.probability($0) }
        XCTAssertEqual(first, second)
        XCTAssertEqual(first, probabilities(stream))
        XCTAssertTrue(first.allSatisfy { (0...1).contains($0) })
    }

    /// Prints the per-frame cost (debug builds are ~10x slower than release); asserts only results.
    func testBenchmarkPerFrameCost() {
        var audio = SyntheticAudio(seed: 7)
        let sample = frames(SyntheticAudio.mix(audio.noise(3_000, dBFS: -60), audio.speech(1_000), at: 8_000))
        var vad = EnergyVAD()
        let rounds = 200
        var speechFrames = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds {
            for frame in sample where vad.probability(frame) >= 0.5 { speechFrames += 1 }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
        let perFrame = elapsed / Double(rounds * sample.count)
        print(String(format: "EnergyVAD: %.0f ns per 20 ms frame (%d frames)", perFrame, rounds * sample.count))
        XCTAssertEqual(Double(speechFrames) / Double(rounds), 50, accuracy: 10, "about the 1 s burst is speech")

        // The whole turn detector (VAD, history, utterance accumulation), for the same frames.
        var detector = TurnDetector()
        var events = 0
        let detectorStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds {
            for frame in sample where detector.process(frame) != nil { events += 1 }
        }
        let detectorElapsed = Double(DispatchTime.now().uptimeNanoseconds - detectorStart)
        print(String(format: "TurnDetector: %.0f ns per 20 ms frame", detectorElapsed / Double(rounds * sample.count)))
        XCTAssertEqual(events, 2 * rounds, "one turn per pass")
    }
}
