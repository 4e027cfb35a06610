import HostPlugins
import HostSpeech

/// Closed prompts: when the agent's last question has a small set of answers, the caller's next
/// utterance is recognised with a grammar, which is far more accurate than open recognition for
/// digits and yes/no. An agent says what it expects through the voice-hint extension, or (1.0
/// plugins) the optional `"expect"` member of its state (docs/abi.md; Orchestration/VoiceHint.swift);
/// a grammar that hears nothing falls back to open recognition.
package enum ClosedPrompt {
    package static func grammar(for hint: VoiceHint?) -> RecognitionGrammar? {
        guard let hint else { return nil }
        switch hint.kind {
        case .orderID: return hint.length > 0 ? .orderID(digitCount: hint.length) : .orderID()
        case .yesNo: return .yesNo
        case .digits: return .digits(count: hint.length > 0 ? hint.length : nil)
        case .text: return nil
        }
    }
}
