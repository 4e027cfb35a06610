import HostPlugins
import PluginABI

/// The voice hint of a step lands in its conversation, stamped with the turn it was given in, so
/// it speaks for the caller's next utterance only.
extension StepRun: VoiceHintSink {
    package func expect(_ hint: VoiceHint) -> ah_status_t {
        turn.conversation.loop.execute { [self] in
            guard !closed else { return }
            turn.conversation.noteVoiceHint(hint, from: agent.id)
        }
        return AH_OK
    }
}
