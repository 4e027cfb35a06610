import HostOrchestration
import HostSpeech
import HostSupport

/// The speech stages' spans (docs/operations.md, "Telemetry"): `speech_recognition` per
/// utterance and `turn_detection` per semantic verdict under the session (the turn they lead to
/// does not exist yet), `speech_synthesis` per agent reply under its turn. No words: only sizes,
/// the search used and the verdict. Loop thread.
extension VoiceCall {
    private var conversation: Conversation? { session?.conversation }

    func startRecognitionSpan(samples: Int, grammar: Bool) {
        guard let conversation, conversation.tracing.isEnabled else { return }
        recognitionSpan?.end()
        recognitionSpan = conversation.tracing.start("speech_recognition", parent: conversation.currentTraceSpan) { attributes in
            attributes["agent_host.speech.search"] = grammar ? "grammar" : "lm"
            attributes["agent_host.speech.audio_ms"] = samples / 16
        }
    }

    func endRecognitionSpan(_ result: Result<Transcript, SpeechError>) {
        guard let span = recognitionSpan else { return }
        switch result {
        case .success(let transcript): span.set("agent_host.speech.words", transcript.text.split(separator: " ").count)
        case .failure: span.fail("recognition failed")
        }
        span.end()
        recognitionSpan = nil
    }

    func startTurnDetectionSpan() -> TraceSpan? {
        guard let conversation, conversation.tracing.isEnabled else { return nil }
        return conversation.tracing.start("turn_detection", parent: conversation.currentTraceSpan) { attributes in
            attributes["agent_host.turn_detection.mode"] = "semantic"
        }
    }

    func endTurnDetectionSpan(_ span: TraceSpan?, verdict: TurnVerdict) {
        guard let span else { return }
        span.set("agent_host.turn_detection.verdict", verdict.rawValue)
        span.end()
    }

    /// Each reply the playback synthesises gets a span under the turn that produced it.
    func traceSynthesis(of playback: AgentPlayback) {
        guard let conversation, conversation.tracing.isEnabled else { return }
        playback.startSynthesisSpan = { [weak conversation] characters in
            guard let conversation else { return nil }
            return conversation.tracing.start("speech_synthesis", parent: conversation.currentTraceSpan) { attributes in
                attributes["agent_host.speech.characters"] = characters
            }
        }
    }
}
