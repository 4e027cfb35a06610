import Foundation
import HostAudio
import HostSpeech

/// The audio of one labelled utterance of `voice turns`: 300 ms of silence, the speech with its
/// pauses, 1.5 s of silence.
///
/// A paused request is said as ONE sentence and the silence is cut in where `[ms]` is written, at
/// the end of the word before it (`WordTimedSynthesis`: flite's segment times, espeak-ng's word
/// events), so the words before a pause keep the sentence's intonation — no final fall, as a
/// person who stops mid-sentence. `--segments-apart` builds the set as before 2026-12-06 13:00:
/// each piece between pauses its own sentence (every piece then ends like a statement), to
/// reproduce the earlier figures.
struct PausedUtteranceAudio {
    var samples: [Int16]
    /// Sample index just after each piece (the last one: the end of speech).
    var segmentEnds: [Int]
    /// Per cut, a listen-free check that it fell between words (empty when nothing was cut).
    var cutChecks: [CutCheck] = []

    struct CutCheck {
        /// The word the silence follows.
        var word: String
        /// Level of the 10 ms before the cut against the sentence's loudest 10 ms, dB.
        var levelDecibels: Double
        /// The quietest 10 ms within ±60 ms of the cut: its offset (ms, negative = before) and level.
        var quietestOffsetMilliseconds: Int
        var quietestDecibels: Double
    }

    static let fadeSamples = 80  // 5 ms: a cut waveform would click; a speaker's voice dies away

    static func make(_ item: PausedUtteranceBenchmark.Item, voice: String, segmentsApart: Bool) throws -> PausedUtteranceAudio {
        var audio = VoiceTestAudio.silence(300)
        var ends: [Int] = []
        if item.label == "noise" || item.pauses.isEmpty || segmentsApart {
            for (n, segment) in item.segments.enumerated() {
                audio += try item.label == "noise" ? PausedUtteranceBenchmark.noise(segment)
                    : VoiceTestAudio.trimmed(CallerAudioSynthesis.render(segment, voice: voice))
                ends.append(audio.count)
                if n < item.pauses.count { audio += VoiceTestAudio.silence(item.pauses[n]) }
            }
            return PausedUtteranceAudio(samples: audio + VoiceTestAudio.silence(1_500), segmentEnds: ends)
        }
        let text = item.segments.joined(separator: " ")
        let speech = try WordTimedSynthesis.render(text, voice: voice)
        let words = text.split(whereSeparator: \.isWhitespace)
        guard let first = speech.samples.firstIndex(where: { abs(Int($0)) > 300 }),
              let last = speech.samples.lastIndex(where: { abs(Int($0)) > 300 }) else {
            throw ServerBenchmark.Failure(description: "\(voice) said nothing audible for \"\(text)\"")
        }
        // The last word of each piece but the last: where its pause goes.
        var lastWords: [Int] = [], counted = 0
        for segment in item.segments.dropLast() {
            counted += segment.split(whereSeparator: \.isWhitespace).count
            lastWords.append(counted - 1)
        }
        var result = PausedUtteranceAudio(samples: [], segmentEnds: [])
        var from = first
        for (n, word) in lastWords.enumerated() {
            let cut = speech.wordEnds[word]
            guard cut > from, cut < last else { throw ServerBenchmark.Failure(description: "\(voice): cut \(n) of \"\(text)\" outside its speech") }
            audio += faded(speech.samples[from..<cut], in: n > 0, out: true)
            ends.append(audio.count)
            audio += VoiceTestAudio.silence(item.pauses[n])
            from = cut
            result.cutChecks.append(check(speech.samples, cut: cut, word: String(words[word])))
        }
        audio += faded(speech.samples[from...last], in: true, out: false)
        ends.append(audio.count)
        result.samples = audio + VoiceTestAudio.silence(1_500)
        result.segmentEnds = ends
        return result
    }

    private static func faded(_ piece: ArraySlice<Int16>, in fadeIn: Bool, out fadeOut: Bool) -> [Int16] {
        var samples = Array(piece)
        let n = min(fadeSamples, samples.count / 2)
        for i in 0..<n {
            let gain = Double(i) / Double(n)
            if fadeIn { samples[i] = Int16(Double(samples[i]) * gain) }
            if fadeOut { samples[samples.count - 1 - i] = Int16(Double(samples[samples.count - 1 - i]) * gain) }
        }
        return samples
    }

    private static func check(_ samples: [Int16], cut: Int, word: String) -> CutCheck {
        func rms(_ start: Int) -> Double {
            let range = max(0, start)..<min(samples.count, start + 160)
            guard !range.isEmpty else { return 1 }
            return max(1, (samples[range].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(range.count)).squareRoot())
        }
        let loudest = stride(from: 0, to: samples.count - 160, by: 80).map(rms).max() ?? 1
        func decibels(_ value: Double) -> Double { 20 * log10(value / loudest) }
        let quietest = stride(from: -960, through: 960 - 160, by: 16).min { rms(cut + $0) < rms(cut + $1) } ?? 0
        return CutCheck(word: word, levelDecibels: decibels(rms(cut - 160)),
                        quietestOffsetMilliseconds: (quietest + 80) / 16, quietestDecibels: decibels(rms(cut + quietest)))
    }
}

extension PausedUtteranceAudio {
    /// One line on every cut of the run: did the silence go in between words?
    static func reportCuts(_ checks: [CutCheck], segmentsApart: Bool) {
        guard !checks.isEmpty else {
            print("set: \(segmentsApart ? "--segments-apart (each piece between pauses said as its own sentence)" : "whole sentences")")
            return
        }
        let levels = checks.map(\.levelDecibels).sorted(), offsets = checks.map { abs($0.quietestOffsetMilliseconds) }.sorted()
        print(String(format: "set: whole sentences, silence cut in at %d word ends; level of the 10 ms before a cut: median %.0f dB, worst %.0f dB "
                     + "(against the sentence's loudest 10 ms); quietest 10 ms within ±60 ms of the cut: median %d ms away, %d of %d within 20 ms",
                     checks.count, levels[levels.count / 2], levels.last!, offsets[offsets.count / 2], offsets.filter { $0 <= 20 }.count, checks.count))
    }
}
