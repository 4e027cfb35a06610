import Dispatch
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
    /// The cepstral mean every decode starts from. The judge is shared by all of a recognizer's
    /// calls, and pocketsphinx adapts its mean to whatever it hears: left alone, the judge's
    /// reading of one call's "uh huh" depended on what other calls had said before (and on the
    /// order calls happened to reach it), so the same audio got different second opinions.
    /// Restoring this mean before each decode makes the second opinion a function of the audio.
    private let mean: [Float]

    /// `decoder` is the recognizer's probe, with the overlap grammar registered; it is selected
    /// here. `warmUpAudio` (the warm pool's: the tenant's phrases spoken) adapts its mean to
    /// speech once, as the warm decoders' is; without it the model's initial mean is kept.
    init(decoder: SphinxDecoder, warmUpAudio: [Int16] = []) throws(SpeechError) {
        try decoder.register(.overlap)
        try decoder.select(RecognitionGrammar.overlapName)
        if !warmUpAudio.isEmpty, decoder.startUtterance() {
            _ = decoder.process(warmUpAudio)
            decoder.endUtterance()
        }
        mean = decoder.cepstralMean()
        self.decoder = Mutex(decoder)
    }

    /// The mean the judge's decoder holds now (tests: it is the same after every decode).
    var currentMean: [Float] { decoder.withLock { $0.cepstralMean() } }

    /// The overlap grammar's reading of `samples` (16 kHz), "" when it heard nothing; the same
    /// samples always get the same reading.
    func decode(_ samples: ArraySlice<Int16>) -> String {
        let audio = Array(samples.prefix(Self.maxSamples))
        return decoder.withLock { decoder in
            decoder.setCepstralMean(mean)
            defer { decoder.setCepstralMean(mean) }
            guard decoder.startUtterance() else { return "" }
            _ = decoder.process(audio)
            decoder.endUtterance()
            return decoder.hypothesis()
        }
    }
}
