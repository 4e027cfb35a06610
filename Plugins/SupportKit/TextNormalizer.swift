/// Turns what a caller said (typed, or transcribed from speech) into lowercase word tokens:
/// punctuation dropped, contractions expanded ("don't" → "do not", "what's" → "what"),
/// letter–digit runs split ("ord12345" → "ord", "12345"). Shared by the classifier and the slots.
public enum TextNormalizer {
    /// Lowercase word tokens of `text`, contractions expanded.
    public static func words(_ text: String) -> [String] {
        var out: [String] = []
        out.reserveCapacity(16)
        var current: [UInt8] = []
        var apostrophe = false  // the current token contains an apostrophe
        var lastKind = 0  // 1 letter, 2 digit

        func flush() {
            guard !current.isEmpty else { return }
            if apostrophe {
                expandContraction(current, into: &out)
            } else {
                let word = String(decoding: current, as: UTF8.self)
                if let expansion = apostropheless[word] { out.append(contentsOf: expansion) } else { out.append(word) }
            }
            current.removeAll(keepingCapacity: true)
            apostrophe = false
            lastKind = 0
        }

        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                var byte = UInt8(v)
                if byte >= 65 && byte <= 90 { byte += 32 }
                let kind = (byte >= 97 && byte <= 122) ? 1 : (byte >= 48 && byte <= 57 ? 2 : 0)
                if kind == 0 {
                    if byte == 39, !current.isEmpty {  // ' inside a word
                        current.append(39)
                        apostrophe = true
                        lastKind = 0
                    } else {
                        flush()
                    }
                    continue
                }
                if lastKind != 0 && kind != lastKind && !apostrophe { flush() }
                current.append(byte)
                lastKind = kind
            } else if v == 0x2019 || v == 0x2018 {  // typographic apostrophes
                if !current.isEmpty {
                    current.append(39)
                    apostrophe = true
                    lastKind = 0
                }
            } else if scalar.properties.isAlphabetic {
                for byte in String(scalar).lowercased().utf8 { current.append(byte) }
                lastKind = 1
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// "shouldn't" → ["should", "not"], "i'm" → ["i", "am"], "what's" → ["what"].
    static func expandContraction(_ bytes: [UInt8], into out: inout [String]) {
        let parts = bytes.split(separator: 39, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
        guard let head = parts.first else { return }
        guard parts.count >= 2 else { out.append(head); return }
        let tail = parts[1]
        switch tail {
        case "t" where head.hasSuffix("n"):
            switch head {
            case "won": out.append(contentsOf: ["will", "not"])
            case "can": out.append(contentsOf: ["can", "not"])
            case "ain": out.append(contentsOf: ["is", "not"])
            case "shan": out.append(contentsOf: ["shall", "not"])
            default: out.append(contentsOf: [String(head.dropLast()), "not"])
            }
        case "m": out.append(contentsOf: [head, "am"])
        case "re": out.append(contentsOf: [head, "are"])
        case "ve": out.append(contentsOf: [head, "have"])
        case "ll": out.append(contentsOf: [head, "will"])
        case "d": out.append(contentsOf: [head, "would"])
        case "s":
            if head == "let" { out.append(contentsOf: ["let", "us"]) }
            else if isBeforeIs.contains(head) { out.append(contentsOf: [head, "is"]) }
            else { out.append(head) }  // possessive: "customer's" → "customer"
        default: out.append(head + tail)
        }
    }

    /// Words whose "'s" is "is" ("that's" → "that is"); elsewhere "'s" is a possessive.
    static let isBeforeIs: Set<String> = ["that", "what", "it", "there", "here", "he", "she", "where", "who", "how", "this", "everything", "nothing", "something"]

    /// Contractions typed without the apostrophe (common in chat).
    static let apostropheless: [String: [String]] = [
        "dont": ["do", "not"], "didnt": ["did", "not"], "doesnt": ["does", "not"], "cant": ["can", "not"],
        "cannot": ["can", "not"], "wont": ["will", "not"], "isnt": ["is", "not"], "arent": ["are", "not"],
        "wasnt": ["was", "not"], "werent": ["were", "not"], "havent": ["have", "not"], "hasnt": ["has", "not"],
        "hadnt": ["had", "not"], "shouldnt": ["should", "not"], "couldnt": ["could", "not"],
        "wouldnt": ["would", "not"], "im": ["i", "am"], "ive": ["i", "have"], "youre": ["you", "are"],
        "whats": ["what", "is"], "thats": ["that", "is"], "theres": ["there", "is"], "hows": ["how", "is"],
        "wheres": ["where", "is"],
        "ill": ["i", "will"], "wanna": ["want", "to"], "gonna": ["going", "to"], "gotta": ["got", "to"],
        "lemme": ["let", "me"], "gimme": ["give", "me"], "pls": ["please"], "plz": ["please"], "thx": ["thanks"],
        "u": ["you"], "ur": ["your"], "ok": ["okay"], "k": ["okay"],
    ]

    /// A light suffix-stripping stemmer (Porter-like, conservative): "charges", "charged",
    /// "charging" → "charg"; "refunds" → "refund"; "shipping" → "ship"; "monthly" → "month".
    public static func stem(_ word: String) -> String {
        String(decoding: stem(Array(word.utf8)), as: UTF8.self)
    }

    static func stem(_ input: [UInt8]) -> [UInt8] {
        var w = input
        guard w.count > 3, w.allSatisfy({ $0 >= 97 && $0 <= 122 }) else { return w }
        func ends(_ suffix: StaticString) -> Bool {
            let n = suffix.utf8CodeUnitCount
            guard w.count > n else { return false }
            return suffix.withUTF8Buffer { s in
                var i = 0
                while i < n { if w[w.count - n + i] != s[i] { return false }; i += 1 }
                return true
            }
        }
        func isVowel(_ c: UInt8) -> Bool { c == 97 || c == 101 || c == 105 || c == 111 || c == 117 || c == 121 }
        // plurals
        if ends("sses") { w.removeLast(2) }
        else if ends("ies") && w.count > 4 { w.removeLast(3); w.append(121) }  // y
        else if ends("s") && !ends("ss") && !ends("us") && !ends("is") && w.count > 3 { w.removeLast() }
        // -ing / -ed
        var stripped = false
        if ends("ing") && w.count > 5 && w[0..<(w.count - 3)].contains(where: isVowel) { w.removeLast(3); stripped = true }
        else if ends("ied") && w.count > 4 { w.removeLast(3); w.append(121) }
        else if ends("ed") && w.count > 4 && w[0..<(w.count - 2)].contains(where: isVowel) { w.removeLast(2); stripped = true }
        if stripped, w.count >= 3, w[w.count - 1] == w[w.count - 2], !isVowel(w[w.count - 1]),
           w[w.count - 1] != 108, w[w.count - 1] != 115, w[w.count - 1] != 122 {  // shipp → ship, not bill/pass
            w.removeLast()
        }
        // derivational endings
        if ends("ment") && w.count > 6 { w.removeLast(4) }
        else if ends("ly") && w.count > 5 { w.removeLast(2) }
        // final e
        if w.count > 4, w[w.count - 1] == 101 { w.removeLast() }
        return w
    }
}
