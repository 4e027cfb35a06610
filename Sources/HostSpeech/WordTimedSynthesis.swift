import CFlite
import Dispatch
import HostAudio

/// Synthesised speech with the sample at which each of its words ends: for building caller audio
/// that pauses *inside* one sentence (the benchmark's labelled set, prosody tests). Cutting the
/// silence in at a word's end keeps the sentence's intonation — a word mid-sentence has no final
/// fall — which saying each piece as its own sentence does not (docs/benchmarks.md, "Prosody at
/// pauses"). Production synthesis (`FliteSynthesizer`, `EspeakSynthesizer`) does not use this.
public struct WordTimedSpeech: Sendable, Equatable {
    /// 16 kHz PCM16, as the engine made it (leading and trailing silence included).
    public var samples: [Int16]
    /// One entry per whitespace-separated word of the text: the sample index just after it.
    public var wordEnds: [Int]
}

public enum WordTimedSynthesis {
    /// Renders `text` as one sentence with flite ("slt") or an espeak-ng voice ("en-us",
    /// "en-us+f3", ...) at 16 kHz. Blocks on the engine's queue: not for a loop thread.
    ///
    /// flite: each token's last word's last segment `end` (its utterance's SylStructure relation).
    /// espeak-ng: the next word's start (`espeakEVENT_WORD`'s sample; in running speech one word
    /// ends where the next begins); the last word ends with the audio.
    public static func render(_ text: String, voice: String) throws(SpeechError) -> WordTimedSpeech {
        let words = text.split(whereSeparator: \.isWhitespace)
        let result: Result<WordTimedSpeech, SpeechError>
        if FliteSynthesizer.voices.contains(voice.lowercased()) {
            result = FliteEngine.queue.sync { Result { () throws(SpeechError) in try FliteEngine.renderTimed(text) } }
        } else {
            result = EspeakEngine.queue.sync { Result { () throws(SpeechError) in try espeakTimed(text, voice: voice) } }
        }
        let speech = try result.get()
        guard speech.wordEnds.count == words.count else {
            throw .engineFailure("\(voice) timed \(speech.wordEnds.count) words of \(words.count) in \"\(text)\"")
        }
        return speech
    }

    private static func espeakTimed(_ text: String, voice: String) throws(SpeechError) -> WordTimedSpeech {
        let native = try EspeakEngine.prepare(voice: voice, wordsPerMinute: 175)
        var pcm: [Int16] = []
        var starts: [(position: Int, sample: Int)] = []
        try EspeakEngine.render(text, onWord: { starts.append(($0, $1)) }) { pcm += $0; return true }
        // Character offsets (0-based) of each word's first character.
        var offsets: [Int] = [], previous: Character = " "
        for (offset, character) in text.enumerated() {
            if !character.isWhitespace, previous.isWhitespace { offsets.append(offset) }
            previous = character
        }
        let scale = 16_000.0 / Double(native)
        let ends = offsets.indices.map { index -> Int in
            guard index + 1 < offsets.count,
                  let next = starts.first(where: { $0.position - 1 >= offsets[index + 1] }) else { return pcm.count }
            return next.sample
        }
        let resampled: [Int16]
        do {
            let resampler = try Resampler(inputRate: native, outputRate: 16_000)
            resampled = resampler.process(pcm) + resampler.flush()
        } catch {
            throw .engineFailure("cannot resample \(native) Hz to 16000 Hz: \(error)")
        }
        return WordTimedSpeech(samples: resampled, wordEnds: ends.map { min(Int((Double($0) * scale).rounded()), resampled.count) })
    }
}

extension FliteEngine {
    /// `render` with each whitespace token's end (its last word's last segment). Call on `queue`.
    static func renderTimed(_ text: String) throws(SpeechError) -> WordTimedSpeech {
        dispatchPrecondition(condition: .onQueue(queue))
        let voice = try registeredVoice()
        srand(seed(text))  // as `render`: the same sentence is the same audio
        guard let utterance = flite_synth_text(text, voice) else {
            throw .engineFailure("flite_synth_text returned nothing for \"\(text)\"")
        }
        defer { delete_utterance(utterance) }
        guard let wave = utt_wave(utterance), wave.pointee.sample_rate == 16_000 else {
            throw .engineFailure("flite made no 16 kHz wave for \"\(text)\"")
        }
        let count = Int(wave.pointee.num_samples)
        let pcm = count > 0 && wave.pointee.samples != nil ? Array(UnsafeBufferPointer(start: wave.pointee.samples, count: count)) : []
        var ends: [Int] = []
        var token = relation_head(utt_relation(utterance, "Token"))
        while let current = token {
            if let word = item_last_daughter(current) {
                let seconds = ffeature_float(word, "R:SylStructure.daughtern.daughtern.end")
                ends.append(min(Int((Double(seconds) * 16_000).rounded()), pcm.count))
            }
            token = item_next(current)
        }
        return WordTimedSpeech(samples: pcm, wordEnds: ends)
    }
}
