import HostAudio

/// What a pause in semantic mode is judged to be (docs/voice.md, "Semantic turn detection"): the
/// one decision a call (`VoiceCall`) and `agent-host-bench voice turns` both make.
public enum TurnVerdict: String, Sendable, Equatable {
    /// The turn ends now.
    case complete
    /// The words are no whole request (or nothing was heard): the maximum silence decides.
    case incomplete
    /// The words are a whole request but the voice before the pause does not sound finished
    /// (`TurnProsody`): the maximum silence decides.
    case held

    /// Judges the hypothesis at a pause. `backchannels` (over the agent only): something that is
    /// no request is a whole utterance at once. `prosody` (nil: off) reads `tail`, the audio
    /// before the pause; only a complete verdict pays for it. Runs on the recogniser's queue.
    public static func judge(_ hypothesis: String?, model: TurnCompletionModel?, grammar: RecognitionGrammar?,
                             backchannels: Backchannels?, prosody: TurnProsody?, tail: [Int16]) -> TurnVerdict {
        guard let hypothesis else { return .incomplete }
        if let backchannels, !backchannels.isRequest(hypothesis) { return .complete }
        guard TurnCompletion.isComplete(hypothesis, model: model, grammar: grammar) else { return .incomplete }
        if let prosody, prosody.soundsUnfinished(utterance: tail[...]) { return .held }
        return .complete
    }
}
