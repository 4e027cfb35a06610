/// Does the voice before a pause sound finished? (docs/voice.md, "The voice at a pause".) A
/// speaker who ends a statement lets the pitch fall and the voice fade; one who stops mid-sentence
/// — to look up a number, to think — stops with neither. The completeness model reads only the
/// words, and words that end a request elsewhere ("I need to change the address … on my order")
/// say "complete" at a pause that is not the end; there the voice can say "not yet".
///
/// Which cue counts depends on the voice, and the voice is read before the pause: a speaker whose
/// pitch moves — an accent rise of `expressiveRiseSemitones` or more in the audio read — marks a
/// statement's end with a fall, and fades as much at words inside a sentence as at its end
/// (espeak-ng `en-us`: 23 of 31 pauses inside a request faded ≥ 9 dB, none fell ≥ 2.5 st; its
/// ends fell 3.0-5.7 st but two). For that voice only the fall says "finished": held unless the
/// final pitch is `expressiveFallSemitones` or more below the tail's median. A voice whose pitch
/// barely moves (flite's `slt`: rises ≤ 2.7 st before its ends, which sit 0-2 st under the median
/// like its word ends) is held only when its final pitch is less than `fallSemitones` below the
/// median AND its last voiced hop is less than `fadeDecibels` below the loudest hop of the last
/// 300 ms (`Voicing.contour`): either cue says "finished". Thresholds chosen on `voice turns`'
/// sentences, flite `slt` and espeak-ng `en-us`; `en-us+f3` held out (docs/benchmarks.md,
/// 2026-12-06 "The voice at a pause" and "Which cue this voice carries").
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
    /// A voice whose pitch rose this much (or more) in the audio read moves its pitch: only a fall counts.
    public var expressiveRiseSemitones = 2.9
    /// The fall that says "finished" for such a voice (its pauses inside a sentence fall up to 2.2 st).
    public var expressiveFallSemitones = 2.5

    public init() {}

    public static let standard = TurnProsody()

    /// True when the voice before the pause did not fall (a voice that moves its pitch) or neither
    /// fell nor faded (one that does not). A nil contour (too little voice to read) is no evidence: false.
    public func soundsUnfinished(_ contour: Voicing.Contour?) -> Bool {
        guard let contour else { return false }
        if movesItsPitch(contour) { return contour.finalPitchSemitones > -expressiveFallSemitones }
        return contour.finalPitchSemitones > -fallSemitones && contour.finalLevelDecibels > -fadeDecibels
    }

    /// Whether the voice read demonstrably moves its pitch, so that its ends are marked by a fall.
    public func movesItsPitch(_ contour: Voicing.Contour) -> Bool {
        contour.pitchRiseSemitones >= expressiveRiseSemitones
    }

    /// `soundsUnfinished` on the utterance so far (its last `tailMilliseconds` are read).
    public func soundsUnfinished(utterance: ArraySlice<Int16>) -> Bool {
        soundsUnfinished(Voicing.contour(utterance.suffix(tailMilliseconds * 16)))
    }
}
