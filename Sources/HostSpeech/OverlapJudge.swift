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

    /// `decoder` is the recognizer's probe, with the overlap grammar registered; it is selected here.
    init(decoder: SphinxDecoder) throws(SpeechError) {
        try decoder.register(.overlap)
        try decoder.select(RecognitionGrammar.overlapName)
        self.decoder = Mutex(decoder)
    }

    /// The overlap grammar's reading of `samples` (16 kHz), "" when it heard nothing.
    func decode(_ samples: ArraySlice<Int16>) -> String {
        let audio = Array(samples.prefix(Self.maxSamples))
        return decoder.withLock { decoder in
            guard decoder.startUtterance() else { return "" }
            _ = decoder.process(audio)
            decoder.endUtterance()
            return decoder.hypothesis()
        }
    }
}
