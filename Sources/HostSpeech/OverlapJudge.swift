import Dispatch
import HostAudio
import Synchronization

/// One decoder per recognizer that gives second opinions (`RecognitionGrammar.overlap`) on audio
/// said over the agent, for every session of that recognizer. Sessions call `decode` from their
/// own queues (speech worker threads, never a loop); the decoder is used under a lock, one
/// utterance at a time. A decode is short (a backchannel or the start of an interruption, at
/// most `maxSamples`) and rare (only speech over the agent), so one decoder is enough: measured
/// with `agent-host-bench voice turns`, docs/benchmarks.md.
final class OverlapJudge: Sendable {
    /// Speech over the agent that is still going on after 1.5 s stops it anyway (PlaybackOverlap):
    /// the judge never needs more than this.
    static let maxSamples = 3 * 16_000
    private let decoder: Mutex<SphinxDecoder>
    /// The cepstral mean every decode starts from, per band. The judge is shared by all of a
    /// recognizer's calls, and pocketsphinx adapts its mean to whatever it hears: left alone, the
    /// judge's reading of one call's "uh huh" depended on what other calls had said before (and on
    /// the order calls happened to reach it), so the same audio got different second opinions.
    /// Restoring a saved mean before each decode — and starting the front end's stream afresh, so
    /// that its noise estimate (`-remove_noise`) is not the last decode's either
    /// (`RecognitionDeterminismTests`) — makes the second opinion a function of the audio.
    /// A phone call's audio (nothing above 4 kHz, mu-law) has another channel than the wideband
    /// warm-up: judged from the wideband mean it was misheard, as a wideband-warmed decoder
    /// mishears a phone caller (`PocketSphinxRecognizer.makeSession(band:onPartial:)`), so phone
    /// calls get a mean adapted on the same warm-up as a phone line carries it.
    private let means: [AudioBand: [Float]]

    /// `decoder` is the recognizer's probe, with the overlap grammar registered; it is selected
    /// here. `warmUpAudio` (the warm pool's: the tenant's phrases spoken) adapts its mean to
    /// speech once per band — as is for wideband calls, through `AudioBand.overPhoneLine` for
    /// phone calls — each from the model's initial mean, as the warm pools' decoders are; without
    /// it the model's initial mean is kept for both.
    init(decoder: SphinxDecoder, warmUpAudio: [Int16] = []) throws(SpeechError) {
        try decoder.register(.overlap)
        try decoder.select(RecognitionGrammar.overlapName)
        let initial = decoder.cepstralMean()
        func adapted(on audio: [Int16]) -> [Float] {
            decoder.setCepstralMean(initial)
            guard !audio.isEmpty, decoder.startUtterance() else { return initial }
            _ = decoder.process(audio)
            decoder.endUtterance()
            return decoder.cepstralMean()
        }
        // Wideband first: its mean is exactly what the judge had before phone calls got their own.
        let wideband = adapted(on: warmUpAudio)
        let narrowband = adapted(on: warmUpAudio.isEmpty ? [] : AudioBand.overPhoneLine(warmUpAudio))
        decoder.setCepstralMean(wideband)
        means = [.wideband: wideband, .narrowband: narrowband]
        self.decoder = Mutex(decoder)
    }

    /// The mean the judge's decoder holds now (tests: it is the same after every decode).
    var currentMean: [Float] { decoder.withLock { $0.cepstralMean() } }

    /// The mean decodes of `band`'s audio start from (tests).
    func startingMean(for band: AudioBand) -> [Float] { means[band] ?? [] }

    /// The overlap grammar's reading of `samples` (16 kHz; a phone call's upsampled, `band`
    /// `.narrowband`), "" when it heard nothing; the same samples always get the same reading.
    /// Audio with less voice than `minimumVoicedMilliseconds` is read as nothing, undecoded.
    func decode(_ samples: ArraySlice<Int16>, band: AudioBand = .wideband) -> String {
        let audio = Array(samples.prefix(Self.maxSamples))
        guard Self.isVoiced(audio[...]) else { return "" }
        let start = means[band] ?? []
        let rest = means[.wideband] ?? []
        return decoder.withLock { decoder in
            decoder.setCepstralMean(start)
            // Between decodes the decoder holds the wideband mean (`currentMean`).
            defer { decoder.setCepstralMean(rest) }
            decoder.restartStream()
            guard decoder.startUtterance() else { return "" }
            _ = decoder.process(audio)
            decoder.endUtterance()
            return decoder.hypothesis()
        }
    }

    /// The second opinion a call weighs (`Backchannels.isRequest(_:secondOpinion:)`): the grammar's
    /// reading (`decode`), or nil — the judge abstains and the language model's words decide —
    /// when the reading names an interruption said with an /s/ ("stop", "sorry", "excuse me") and
    /// wideband audio has no hiss at all. A closed grammar must put words on whatever it hears:
    /// it reads espeak-ng's "uh huh" as "stop" or "no stop" and "uh huh okay" as "stop to you", and
    /// an interruption it heard stops the agent on its own. The /s/ is the loudest, longest hiss
    /// in speech (80-240 ms of it in every "stop", "sorry", "excuse me" of `agent-host-bench voice
    /// turns`); an "uh huh" has none (docs/benchmarks.md). Phone audio has no band above 4 kHz to
    /// hear it in: its readings are kept as they are.
    func secondOpinion(_ samples: ArraySlice<Int16>, band: AudioBand = .wideband) -> String? {
        let reading = decode(samples, band: band)
        guard band == .wideband, SpokenText.words(reading).contains(where: Self.saidWithHiss.contains) else { return reading }
        let audio = samples.prefix(Self.maxSamples)
        return Voicing.sibilantMilliseconds(audio, atLeast: Self.minimumHissMilliseconds) >= Self.minimumHissMilliseconds ? reading : nil
    }

    /// The grammar's interruptions said with an /s/ (`Backchannels.interruptions`).
    static let saidWithHiss: Set<String> = ["stop", "sorry", "excuse"]
    /// Less hiss than this is none (one hop can be a plosive's burst: the /k/ of "okay").
    static let minimumHissMilliseconds = 40

    /// Less voice than this is no speech. A breath, a cough or a click has no pitch at all, yet
    /// the grammar must read something into it (the benchmark's breath: "how for", a request
    /// opening, while the language model heard "fee" — together they stopped the agent); the
    /// shortest requests have more (espeak-ng's "stop": `UnvoicedOverlapTests`; `Voicing`, docs/voice.md).
    static let minimumVoicedMilliseconds = 60

    /// Whether `audio` has enough voice to be speech, on the caller's speech queue: speech is
    /// known after its first syllable (~0.1 ms), unvoiced audio is scanned whole (5-6 ms per 1.5 s
    /// under heavy load, `Voicing`) and then not decoded, which costs more. A phone call's upsampled
    /// audio keeps its pitch: voicing lies below 4 kHz.
    static func isVoiced(_ audio: ArraySlice<Int16>) -> Bool {
        Voicing.voicedMilliseconds(audio, atLeast: minimumVoicedMilliseconds) >= minimumVoicedMilliseconds
    }
}
