/// Turns text into search terms: lowercase alphanumeric words, minus stopwords, lightly stemmed
/// so "shipping", "shipped" and "ships" meet at "ship".
enum TextAnalyzer {
    static func terms(_ text: String) -> [String] {
        text.lowercased()
            .split { !($0.isLetter || $0.isNumber) }
            .map(String.init)
            .filter { !stopwords.contains($0) }
            .map(stem)
    }

    /// A few suffix rules in the spirit of Porter's step 1 — enough for FAQ matching, and
    /// predictable. Words of three letters or fewer are left alone.
    static func stem(_ word: String) -> String {
        guard word.count > 3 else { return word }
        if word.hasSuffix("ies") { return String(word.dropLast(3)) + "y" }            // policies → policy
        if word.hasSuffix("sses") { return String(word.dropLast(2)) }                 // addresses → address
        if word.hasSuffix("ing"), word.count > 5 { return undouble(String(word.dropLast(3))) }  // shipping → ship
        if word.hasSuffix("ed"), word.count > 4 { return undouble(String(word.dropLast(2))) }   // shipped → ship
        if word.hasSuffix("es"), ["sh", "ch", "x", "z"].contains(where: { word.dropLast(2).hasSuffix($0) }) {
            return String(word.dropLast(2))                                            // boxes → box
        }
        if word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("us"), !word.hasSuffix("is") {
            return String(word.dropLast())                                             // returns → return
        }
        return word
    }

    /// "shipp" → "ship", but "install" stays (l, s and z doubles are usually part of the root).
    private static func undouble(_ word: String) -> String {
        guard let last = word.last, word.count > 2, word.dropLast().last == last,
              !"aeiouylsz".contains(last) else { return word }
        return String(word.dropLast())
    }

    static let stopwords: Set<String> = [
        "a", "about", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did",
        "do", "does", "for", "from", "get", "got", "had", "has", "have", "hello", "hi", "how", "i", "if", "in",
        "into", "is", "it", "its", "just", "me", "my", "need", "of", "on", "or", "our", "please", "should", "so",
        "some", "that", "the", "their", "them", "there", "this", "to", "up", "us", "was", "we", "what", "when",
        "where", "which", "who", "why", "will", "with", "would", "you", "your",
    ]
}
