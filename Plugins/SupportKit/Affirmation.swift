/// Yes or no in the caller's words: "yeah go ahead", "sure", "please do", "nope", "don't",
/// "not right now". Nil when the answer is neither (or unsure: "I'm not sure", "maybe").
public enum Affirmation: String, Sendable {
    case yes, no

    /// Phrases (token sequences after `TextNormalizer`) that answer yes.
    static let yesPhrases: [[String]] = [
        "yes", "yeah", "yea", "yep", "yup", "ya", "yah", "ye", "aye", "sure", "okay", "alright", "absolutely", "definitely",
        "certainly", "correct", "affirmative", "indeed", "exactly", "perfect", "great", "fine", "proceed", "agreed",
        "all right", "go ahead", "go for it", "please do", "do it", "do that", "of course", "sounds good", "that works",
        "that is right", "that is correct", "that is fine", "that would be great", "that would be good", "uh huh", "mhm",
        "mm hmm", "why not", "let us do it", "let us do that", "i would like that", "yes please",
        "please go ahead", "go on", "right", "by all means", "you bet", "works for me", "i agree", "i guess so",
    ].map { $0.split(separator: " ").map(String.init) }

    /// Phrases that answer no.
    static let noPhrases: [[String]] = [
        "no", "nope", "nah", "na", "negative", "not", "not now", "not really", "not yet", "no thanks", "no thank you",
        "forget it", "i would rather not", "rather not", "not at all", "that is all", "that is it", "nothing else",
        "i am good", "i am all set", "all set", "nothing",
    ].map { $0.split(separator: " ").map(String.init) }
    /// Explicit refusals that win over any yes: "okay, don't do it", "yes... wait, cancel that".
    static let strongNoPhrases: [[String]] = [
        "do not", "cancel", "stop", "hold off", "hold on", "wait", "never mind", "nevermind",
    ].map { $0.split(separator: " ").map(String.init) }
    /// Uncertainty: neither yes nor no.
    static let unsurePhrases: [[String]] = [
        "not sure", "maybe", "perhaps", "i do not know", "dunno", "let me think", "not certain",
    ].map { $0.split(separator: " ").map(String.init) }

    public static func detect(in text: String) -> Affirmation? {
        var tokens = TextNormalizer.words(text)
        for i in tokens.indices.dropLast() where tokens[i] == "no" && ["problem", "worries", "doubt"].contains(tokens[i + 1]) {
            tokens[i] = "okay"  // "no problem, go ahead"
            tokens[i + 1] = "okay"
        }
        guard !tokens.isEmpty, firstMatch(of: unsurePhrases, in: tokens) == nil else { return nil }
        if firstMatch(of: strongNoPhrases, in: tokens) != nil { return .no }
        var yes = firstMatch(of: yesPhrases, in: tokens, excludingAfterNot: true)
        // "right" alone or in "that's right" means yes; elsewhere ("the right card") it does not.
        if let y = yes, tokens[y] == "right", tokens.count > 1, !(y > 0 && tokens[y - 1] == "that") { yes = nil }
        let no = firstMatch(of: noPhrases, in: tokens)
        switch (yes, no) {
        case (nil, nil): return nil
        case (.some, nil): return .yes
        case (nil, .some): return .no
        case (.some(let y), .some(let n)): return y < n ? .yes : .no
        }
    }

    /// Token index of the earliest phrase match (longest phrase first at equal positions).
    static func firstMatch(of phrases: [[String]], in tokens: [String], excludingAfterNot: Bool = false) -> Int? {
        var best: Int?
        for phrase in phrases where phrase.count <= tokens.count {
            for start in 0...(tokens.count - phrase.count) where best.map({ start < $0 }) ?? true {
                // Compare in place: slicing into a new Array per position dominated the cost.
                if tokens[start] == phrase[0], tokens[start..<(start + phrase.count)].elementsEqual(phrase) {
                    if excludingAfterNot, start > 0, tokens[start - 1] == "not" { continue }
                    best = start
                    break
                }
            }
        }
        return best
    }
}
