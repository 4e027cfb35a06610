/// Does the voice before a pause sound finished? (docs/voice.md, "The voice at a pause".) A
/// speaker who ends a statement lets the pitch fall and the voice fade; one who stops mid-sentence
/// — to look up a number, to think — stops with neither. The completeness model reads only the
/// words, and words that end a request elsewhere ("I need to change the address … on my order")
/// say "complete" at a pause that is not the end; there the voice can say "not yet".
///
/// Held (unfinished) when the final pitch is less than `fallSemitones` below the median pitch of
/// the tail AND the last voiced hop is less than `fadeDecibels` below the loudest hop of the last
/// 300 ms (`Voicing.contour`). Either cue alone says "finished": espeak-ng's statements fall
/// 2-6 st but do not always fade; flite's `slt` barely falls (its ends sit 0-2 st under the
/// median, like its mid-sentence word ends) but fades. Thresholds chosen on `voice turns`' whole
/// sentences, flite `slt` and espeak-ng `en-us` (docs/benchmarks.md, 2026-12-06 "The voice at a
/// pause").
///
/// A pure function of the audio before the pause. `Voicing` scores every 20 ms hop of the tail:
/// ~1-10 ms a decision (release / debug), so it runs where the hypothesis is judged, on the
/// recogniser's queue, never on the loop.
public struct TurnProsody: Sendable, Equatable {
    /// Audio read before the pause, trailing silence included: the median pitch is this stretch's.
    public var tailMilliseconds = 2_000
    /// A final pitch this far below the tail's median (or further) is a fall: finished.
    public var fallSemitones = 2.0
    /// A last voiced hop this far below the loudest of the last 300 ms (or further) is a fade: finished.
    public var fadeDecibels = 9.0

    public init() {}

    public static let standard = TurnProsody()

    /// True when the voice before the pause neither fell nor faded. A nil contour (too little
    /// voice to read) is no evidence: false.
    public func soundsUnfinished(_ contour: Voicing.Contour?) -> Bool {
        guard let contour else { return false }
        return contour.finalPitchSemitones > -fallSemitones && contour.finalLevelDecibels > -fadeDecibels
    }

    /// `soundsUnfinished` on the utterance so far (its last `tailMilliseconds` are read).
    public func soundsUnfinished(utterance: ArraySlice<Int16>) -> Bool {
        soundsUnfinished(Voicing.contour(utterance.suffix(tailMilliseconds * 16)))
    }
}
