import HostSpeech

/// Closed prompts: when the agent's last question has a small set of answers, the caller's next
/// utterance is recognised with a grammar, which is far more accurate than open recognition for
/// digits and yes/no. An agent says what it expects with the optional `"expect"` member of its
/// state (docs/abi.md); a grammar that hears nothing falls back to open recognition.
enum ClosedPrompt {
    static func grammar(for expectation: String?) -> RecognitionGrammar? {
        switch expectation {
        case "order_id": .orderID()
        case "yes_no": .yesNo
        case "digits": .digits()
        default: nil
        }
    }
}
