/// Cuts streamed text into sentences as they complete, so a voice call can start speaking the
/// first sentence while the model is still writing the rest.
struct SentenceChunker {
    private var pending = ""

    /// Adds a piece; returns the sentences it completed (trimmed, non-empty).
    mutating func add(_ piece: String) -> [String] {
        pending += piece
        var sentences: [String] = []
        var start = pending.startIndex
        var index = pending.startIndex
        while index < pending.endIndex {
            let character = pending[index]
            let next = pending.index(after: index)
            // A sentence ends at . ! ? followed by whitespace, or at a line break.
            let ends = character == "\n" || (".!?".contains(character) && next < pending.endIndex && pending[next].isWhitespace)
            if ends {
                let sentence = pending[start..<next].trimmingWhitespace()
                if !sentence.isEmpty { sentences.append(sentence) }
                start = next
            }
            index = next
        }
        pending = String(pending[start...])
        return sentences
    }

    /// What is left when the stream ends.
    mutating func flush() -> String? {
        defer { pending = "" }
        let rest = Substring(pending).trimmingWhitespace()
        return rest.isEmpty ? nil : rest
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
