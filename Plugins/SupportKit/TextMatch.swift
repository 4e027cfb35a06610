/// Content-word matching between a caller's question and a document (a help article): stems of
/// the words that carry meaning, without function words and generic request verbs.
public enum TextMatch {
    static let stopwords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "from", "by", "with", "about", "as",
        "into", "over", "after", "before", "than", "then", "so", "up", "out", "off", "is", "are", "was", "were", "be", "been",
        "being", "am", "do", "does", "did", "doing", "have", "has", "had", "having", "can", "could", "will", "would", "should",
        "shall", "may", "might", "must", "i", "me", "my", "mine", "we", "us", "our", "you", "your", "yours", "he", "she", "it",
        "its", "they", "them", "their", "this", "that", "these", "those", "there", "here", "what", "which", "who", "whom",
        "when", "where", "why", "how", "not", "no", "yes", "any", "some", "all", "just", "also", "too", "very", "really",
        "please", "thanks", "thank", "hi", "hello", "hey", "okay", "um", "uh", "like", "want", "need", "know", "tell", "get",
        "got", "let", "make", "go", "going", "question", "questions", "general", "quick", "help", "ask", "info",
        "information", "wondering", "sell", "buy", "find", "much", "many", "one", "thing", "something", "anything",
    ]

    /// Distinct stems of the content words in `text`.
    public static func contentStems(_ text: String) -> Set<String> {
        Set(TextNormalizer.words(text).filter { !stopwords.contains($0) && $0.count > 1 }.map(TextNormalizer.stem))
    }

    /// The share of the query's content stems that occur in the document (0 when the query has none),
    /// and how many matched.
    public static func coverage(of query: String, in document: String) -> (fraction: Double, matched: Int) {
        let wanted = contentStems(query)
        guard !wanted.isEmpty else { return (0, 0) }
        let present = Set(TextNormalizer.words(document).map(TextNormalizer.stem))
        let matched = wanted.filter { present.contains($0) }.count
        return (Double(matched) / Double(wanted.count), matched)
    }
}
