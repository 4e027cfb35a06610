import HostSpeech

/// Semantic mode's barge-in (docs/voice.md, "Interruptions that are meant"): caller speech while
/// the agent plays does not stop it at once. While the caller talks the call asks the recogniser's
/// hypothesis every `checkFrames` frames; the agent stops as soon as two hypotheses in a row hold
/// a word that is not a backchannel ("wait", "stop") — one is not enough: a partial "uh-huh" is
/// often heard as "help" before the decoder settles — or when the caller has talked for `longFrames` (nobody says
/// "uh-huh" for 1.5 s). When the utterance ends without either, its final transcript decides: only
/// backchannels, or no words at all (a cough, a click, a breath), and it is no turn.
/// Where the recogniser gives a second opinion (the overlap grammar's reading of the same audio,
/// `RecognitionGrammar.overlap`), both are weighed by `Backchannels.isRequest(_:secondOpinion:)`:
/// the grammar vetoes what it heard as backchannels and vouches for the interruptions it heard.
/// The end of an utterance is read twice as well: at its pause (`paused`, the readings the pause
/// was judged on) and when it is finished (`finished`); it stops the agent only when both readings
/// hold a request (see `paused`).
/// A value the call owns; no I/O.
public struct PlaybackOverlap: Sendable {
    public enum Action: Equatable, Sendable {
        /// Ask the recogniser for its hypothesis so far and pass it to `heard(hypothesis:)`.
        case askHypothesis
        /// Stop the agent now.
        case bargeIn
    }

    let backchannels: Backchannels
    var checkFrames = 10
    var longFrames = 75
    /// An utterance that began while the agent was speaking is in progress (or being recognised).
    private(set) var active = false
    private(set) var bargedIn = false
    private var frames = 0
    private var asking = false
    private var requestsInARow = 0
    /// Whether the readings at the utterance's last pause held a request (nil: no pause read since
    /// the caller last spoke).
    private var pauseHeardRequest: Bool?

    public init(backchannels: Backchannels) {
        self.backchannels = backchannels
    }

    /// Speech started while the agent was playing.
    public mutating func started() {
        (active, bargedIn, frames, asking, requestsInARow, pauseHeardRequest) = (true, false, 0, false, 0, nil)
    }

    /// One more 20 ms frame of the caller's utterance.
    public mutating func frame() -> Action? {
        guard active, !bargedIn else { return nil }
        pauseHeardRequest = nil  // speech after a pause: its reading no longer covers the utterance
        frames += 1
        if frames >= longFrames {
            bargedIn = true
            return .bargeIn
        }
        guard frames % checkFrames == 0, !asking else { return nil }
        asking = true
        return .askHypothesis
    }

    /// The hypothesis asked for.
    public mutating func heard(hypothesis: String?, secondOpinion: String? = nil) -> Action? {
        asking = false
        guard active, !bargedIn else { return nil }
        requestsInARow = hypothesis.map { backchannels.isRequest($0, secondOpinion: secondOpinion) } == true ? requestsInARow + 1 : 0
        guard requestsInARow >= 2 else { return nil }
        bargedIn = true
        return .bargeIn
    }

    /// The readings (hypothesis and second opinion) a pause in the utterance was judged on. The
    /// final transcript is the same audio read again — the decoder's last passes over it, the
    /// grammar once more — and when the two readings disagree the recogniser was guessing. Measured
    /// on espeak-ng's backchannels (`agent-host-bench voice turns`, docs/benchmarks.md): "okay" read
    /// "okay" at its pause and "do you" / "what to you" when finished, "okay yeah" "can you" and then
    /// "can i use"; the real requests said over the agent were requests at their pause too. So,
    /// as two hypotheses in a row are needed while the caller talks, the end of an utterance stops
    /// the agent only when its pause and its final transcript both hold a request.
    public mutating func paused(hypothesis: String?, secondOpinion: String?) {
        guard active, !bargedIn, let hypothesis else { return }
        pauseHeardRequest = backchannels.isRequest(hypothesis, secondOpinion: secondOpinion)
    }

    /// The utterance's final transcript: whether it is a turn (and, if the agent was not stopped
    /// yet, whether to stop it now). An utterance that did not overlap the agent always is; so is
    /// a "yes" that overlapped only the end of a question the agent has now finished asking.
    public mutating func finished(transcript: String, secondOpinion: String? = nil,
                                  answersFinishedQuestion: Bool = false) -> (isTurn: Bool, bargeIn: Bool) {
        guard active else { return (true, false) }
        active = false
        if bargedIn { return (true, false) }
        if answersFinishedQuestion { return (!transcript.isEmpty, false) }
        let request = backchannels.isRequest(transcript, secondOpinion: secondOpinion) && pauseHeardRequest != false
        return (request, request)
    }
}
