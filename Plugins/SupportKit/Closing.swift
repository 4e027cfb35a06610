/// Replies for the end of a request, after "Is there anything else I can help with?".
public enum Closing {
    /// What to say to a short yes-like answer: "okay thanks" is an acknowledgement, "yes" means
    /// there is something else.
    public static func acknowledgement(_ text: String) -> String {
        let words = TextNormalizer.words(text)
        if words.contains("thanks") || words.contains("thank") || words.contains("cheers") {
            return "You're welcome. Is there anything else I can help with?"
        }
        return "Sure, what else can I help you with?"
    }
}
