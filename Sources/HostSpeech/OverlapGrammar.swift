/// The second opinion on speech said over the agent (docs/voice.md, "Interruptions that are
/// meant"). The open language model turns a short backchannel into whatever words it finds
/// nearest ("uh huh okay" → "can i pay", "right right" → "nine right"), and a short request into
/// function words ("wait" → "for a"). Decoded a second time against a small closed grammar —
/// backchannels, or an interruption followed by anything — the same audio has far fewer places
/// to go: measured on `agent-host-bench voice turns`' labelled set, the grammar heard 14 of 15
/// backchannels and the opening of all 8 requests right where the language model heard 11 and 7.
extension RecognitionGrammar {
    /// The grammar's name (`Transcript.search` never reports it: it only gives second opinions).
    public static let overlapName = "overlap"

    /// Backchannels (`Backchannels.languageModelPhrases`), or an interruption or request opening
    /// followed by common words.
    public static let overlap = RecognitionGrammar(
        name: overlapName,
        // One backchannel, then more: not "(<backchannel>)+". pocketsphinx compiles a repeat by
        // linking its end back to the state it started from, and a repeat at the start of an
        // alternative starts from the rule's own start state — so "(<backchannel>)+ | <opening> …"
        // let an opening follow backchannels ("i see okay" heard as "i see okay i need"), a
        // reading the grammar never meant to allow. After one backchannel the repeat starts
        // from a state of its own.
        rule: "<backchannel> [<backchannel>+] | <opening> [<word>+]",
        rules: [
            ("backchannel", Backchannels.languageModelPhrases.joined(separator: " | ")),
            ("opening", (Backchannels.interruptions + Backchannels.requestOpenings).joined(separator: " | ")),
            ("word", Self.overlapFollowingWords.joined(separator: " | ")),
        ])

    /// What follows an opening in the grammar: enough common words that a request is not forced
    /// into a backchannel, few enough that a backchannel is not forced into a request.
    static let overlapFollowingWords = [
        "i", "a", "the", "that", "this", "it", "is", "to", "you", "me", "my", "of", "for", "on", "in", "and", "not",
        "have", "want", "wanted", "need", "can", "please", "question", "wrong", "repeat", "say", "again", "what",
        "order", "bill", "refund", "money", "talk", "person", "agent", "human", "help", "one", "second", "minute",
    ] + Backchannels.interruptions.filter { !$0.contains(" ") }
}
