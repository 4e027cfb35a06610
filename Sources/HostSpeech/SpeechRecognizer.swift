import HostAudio
import Foundation

/// A recognised word and where it was in the utterance.
public struct RecognizedWord: Sendable, Equatable {
    public var word: String
    /// Seconds from the start of the utterance.
    public var start: Double
    public var end: Double

    public init(word: String, start: Double, end: Double) {
        self.word = word
        self.start = start
        self.end = end
    }
}

/// The result of one utterance.
public struct Transcript: Sendable, Equatable {
    /// Recognised words, lower case, separated by single spaces ("" when nothing was heard).
    public var text: String
    /// Words with timings (fillers and silences removed); may be empty for engines without timings.
    public var words: [RecognizedWord]
    /// The search that produced it: `RecognitionGrammar.languageModelSearch` or a grammar's name.
    public var search: String
    /// Audio the utterance contained, in seconds.
    public var audioSeconds: Double
    /// Engine time spent on the utterance (processing while audio arrived, plus finishing).
    public var processingSeconds: Double
    /// Time from `finish` reaching the engine to the transcript (ps_end_utt and result
    /// extraction): the recognizer's share of end-of-turn latency.
    public var finalizeSeconds: Double
    /// The same audio decoded again with `RecognitionGrammar.overlap`, when the utterance was said
    /// over the agent (`RecognitionSession.judgeOverAgent`) and the engine gives second opinions;
    /// nil otherwise.
    public var secondOpinion: String?

    public init(text: String, words: [RecognizedWord] = [], search: String, audioSeconds: Double,
                processingSeconds: Double, finalizeSeconds: Double, secondOpinion: String? = nil) {
        self.secondOpinion = secondOpinion
        self.text = text
        self.words = words
        self.search = search
        self.audioSeconds = audioSeconds
        self.processingSeconds = processingSeconds
        self.finalizeSeconds = finalizeSeconds
    }

    public var isEmpty: Bool { text.isEmpty }
    /// Processing cost as a fraction of real time (0.04 = 4% of one core).
    public var realTimeFactor: Double { audioSeconds > 0 ? processingSeconds / audioSeconds : 0 }
}

/// Speech to text for calls.
///
/// Threading contract: a recognizer is immutable and shareable; `makeSession` returns at once
/// and never loads models on the caller's thread (the engine does that on the session's queue,
/// before any audio it is given). Each session owns a serial queue: every engine call for that
/// session runs there, in the order the caller made them. Sessions are independent and may run
/// in parallel (one per call). Callbacks (`onPartial`, `ready`, `finish`) run on the session's
/// queue; they must return quickly and hand results back to the caller's loop.
public protocol SpeechRecognizer: AnyObject, Sendable {
    /// Engine name for logs.
    var name: String { get }
    /// The rate `accept(samples:)` expects (16000 for pocketsphinx's en-us model; resample 8 kHz
    /// phone audio up first).
    var sampleRate: Int { get }
    /// Starts a session (one per call: the decoder adapts to the caller's voice and channel).
    /// `onPartial`, when given, receives the hypothesis so far during an utterance whenever it
    /// changes (throttled).
    func makeSession(onPartial: (@Sendable (String) -> Void)?) -> RecognitionSession
    /// A session for audio captured in `band` (a phone line's 8 kHz is narrowband, even once
    /// resampled to `sampleRate`): an engine that adapts to the channel must not start from what
    /// it learnt on the other band.
    func makeSession(band: AudioBand, onPartial: (@Sendable (String) -> Void)?) -> RecognitionSession
}

/// Where a caller's audio was captured: its bandwidth, not the rate it is handed over at.
public enum AudioBand: String, Sendable {
    /// A microphone or voice socket at 16 kHz or more: speech up to 8 kHz.
    case wideband
    /// A phone line (G.711 at 8 kHz: SIP, Twilio): nothing above 4 kHz.
    case narrowband

    /// The band of audio that came off a wire at `sampleRate`.
    public init(sampleRate: Int) { self = sampleRate <= 8_000 ? .narrowband : .wideband }

    /// `samples` (16 kHz) as a phone line carries them: down to 8 kHz, through G.711 mu-law, and
    /// back up to 16 kHz — what a phone call's decoder hears (the phone warm pool adapts on it).
    public static func overPhoneLine(_ samples: [Int16]) -> [Int16] {
        guard let down = try? Resampler(inputRate: 16_000, outputRate: 8_000),
              let up = try? Resampler(inputRate: 8_000, outputRate: 16_000) else { return samples }
        let line = MuLaw.decode(MuLaw.encode((down.process(samples) + down.flush())[...]))
        return up.process(line) + up.flush()
    }
}

extension SpeechRecognizer {
    /// Engines without channel adaptation treat both bands alike.
    public func makeSession(band: AudioBand, onPartial: (@Sendable (String) -> Void)?) -> RecognitionSession {
        makeSession(onPartial: onPartial)
    }
}

/// One call's recognizer: a sequence of utterances (turns).
///
/// Threading contract: every method returns immediately and may be called from any thread (in
/// practice, the call's loop); the work runs on the session's own serial queue in call order.
/// An utterance starts with the first `accept` after creation or after `finish`, and ends with
/// `finish` (or `cancelUtterance`).
public protocol RecognitionSession: AnyObject, Sendable {
    /// Adds audio to the current utterance: mono PCM16 at the recognizer's `sampleRate`, any
    /// chunk size (20 ms frames from the audio loop are fine).
    func accept(samples: [Int16])
    /// Ends the utterance; `completion` gets its transcript. The session is ready for the next
    /// utterance at once.
    func finish(_ completion: @escaping @Sendable (Result<Transcript, SpeechError>) -> Void)
    /// Drops the current utterance without a transcript (barge-in handled elsewhere, hang-up).
    func cancelUtterance()
    /// Restricts recognition to a grammar (closed prompts: digits, yes/no, order ids) from the
    /// next utterance on; throws at once, on the caller's thread, when the grammar uses words
    /// the session has no pronunciation for. Call it between turns (before the prompt's answer
    /// starts); if an utterance is in progress it applies when that one ends.
    func useGrammar(_ grammar: RecognitionGrammar) throws(SpeechError)
    /// Back to open recognition with the language model (from the next utterance, as above).
    func useLanguageModel()
    /// Reports when the engine is ready (decoder created) and how long setup took, in seconds.
    func ready(_ completion: @escaping @Sendable (Result<Double, SpeechError>) -> Void)
    /// Releases the engine's resources; later calls fail with `.sessionClosed`.
    func close()
    /// The hypothesis for the audio accepted so far in the current utterance, after the audio
    /// already queued ("" between utterances); nil when the engine cannot tell mid-utterance.
    /// Semantic end of turn asks it once per pause. `completion` runs on the session's queue.
    func currentHypothesis(_ completion: @escaping @Sendable (String?) -> Void)
    /// The current utterance (or the next, when none is in progress) is said over the agent: the
    /// engine also decodes it with `RecognitionGrammar.overlap`, whose result comes as
    /// `Transcript.secondOpinion` and with `hearingOverAgent`. Ends with the utterance.
    func judgeOverAgent()
    /// While judging over the agent: the hypothesis so far and the overlap grammar's second
    /// opinion of the audio so far (nil when the engine gives none). `completion` runs on the
    /// session's queue.
    func hearingOverAgent(_ completion: @escaping @Sendable (_ hypothesis: String?, _ secondOpinion: String?) -> Void)
}

extension RecognitionSession {
    /// Engines without mid-utterance hypotheses (a cloud upload at the end of the turn).
    public func currentHypothesis(_ completion: @escaping @Sendable (String?) -> Void) { completion(nil) }
}

extension RecognitionSession {
    /// Engines without second opinions: the language model alone decides what was said over the agent.
    public func judgeOverAgent() {}
    public func hearingOverAgent(_ completion: @escaping @Sendable (_ hypothesis: String?, _ secondOpinion: String?) -> Void) {
        currentHypothesis { completion($0, nil) }
    }
}

extension SpeechRecognizer {
    /// A session without partial hypotheses.
    public func makeSession() -> RecognitionSession { makeSession(onPartial: nil) }
}

extension RecognitionSession {
    public func finish() async throws(SpeechError) -> Transcript {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Transcript, SpeechError>, Never>) in
            finish { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    public func ready() async throws(SpeechError) -> Double {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Double, SpeechError>, Never>) in
            ready { continuation.resume(returning: $0) }
        }
        return try result.get()
    }
}

/// A JSGF grammar for a closed prompt. Grammars are engine-neutral descriptions: pocketsphinx
/// decodes with them; a cloud engine can turn `vocabulary` into phrase hints.
public struct RecognitionGrammar: Sendable, Hashable {
    /// The name the grammar is registered and reported under (`Transcript.search`).
    public let name: String
    /// JSGF 1.0 source with one public rule.
    public let jsgf: String
    /// Every word the grammar can produce (lower case).
    public let vocabulary: Set<String>

    /// The search name transcripts report for open (language-model) recognition.
    public static let languageModelSearch = "lm"

    /// A grammar from JSGF source; `vocabulary` is derived from the source when nil.
    public init(name: String, jsgf: String, vocabulary: Set<String>? = nil) {
        self.name = name
        self.jsgf = jsgf
        self.vocabulary = vocabulary ?? Self.words(inJSGF: jsgf)
    }

    /// A grammar whose public rule is `body` (JSGF expansion syntax), with `rules` as private
    /// rules ("digit" → "zero | one | ...").
    public init(name: String, rule body: String, rules: [(String, String)] = []) {
        var source = "#JSGF V1.0;\ngrammar \(name);\npublic <\(name)> = \(body);\n"
        for (rule, expansion) in rules { source += "<\(rule)> = \(expansion);\n" }
        self.init(name: name, jsgf: source)
    }

    static let digitAlternatives = (SpokenText.digitWords + ["oh"]).joined(separator: " | ")

    /// Digits read one by one: `count` of them, or 1...`maxCount` when `count` is nil.
    public static func digits(count: Int? = nil, maxCount: Int = 12) -> RecognitionGrammar {
        let body = count.map { Array(repeating: "<digit>", count: $0).joined(separator: " ") }
            ?? "<digit>" + String(repeating: " [<digit>]", count: max(maxCount - 1, 0))
        return RecognitionGrammar(name: count.map { "digits\($0)" } ?? "digits", rule: body,
                                  rules: [("digit", digitAlternatives)])
    }

    /// Yes or no, with the common ways of saying them.
    public static let yesNo = RecognitionGrammar(
        name: "yesno",
        rule: "[<lead>] (<yes> | <no>) [please | thanks | thank you]",
        rules: [
            ("lead", "oh | well | um | uh"),
            ("yes", "yes | yeah | yep | yes please | sure | correct | right | that's right | that is right | okay | go ahead | please do"),
            ("no", "no | nope | no thanks | not really | that's wrong | wrong | don't | no don't"),
        ])

    /// An order id read out: "order one two three four five", "o r d one two three four five",
    /// "my order number is ...", or the digits alone (`digitCount` digits, 5 for ORD-12345).
    public static func orderID(digitCount: Int = 5) -> RecognitionGrammar {
        RecognitionGrammar(
            name: "orderid",
            rule: "[<intro>] [order [number] | o r d] [number] [is] " + Array(repeating: "<digit>", count: digitCount).joined(separator: " "),
            rules: [("intro", "my | it's | it is | the"), ("digit", digitAlternatives)])
    }

    /// The grammars every recognizer is prepared for.
    public static let standard: [RecognitionGrammar] = [digits(), yesNo, orderID()]

    /// Words of the standard grammars plus the spelled alphabet (dictionaries include them so
    /// any of these grammars can be switched to at run time).
    public static let standardVocabulary: Set<String> = {
        var words = Set(standard.flatMap(\.vocabulary))
        words.formUnion("abcdefghijklmnopqrstuvwxyz".map(String.init))
        return words
    }()

    /// Words of a JSGF source: tokens outside rule references, tags, weights and the header.
    static func words(inJSGF source: String) -> Set<String> {
        var words = Set<String>()
        for statement in source.split(separator: ";") {
            var text = statement.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasPrefix("#JSGF") || text.hasPrefix("grammar ") || text.hasPrefix("import ") || text.isEmpty { continue }
            guard let equals = text.firstIndex(of: "=") else { continue }
            text = String(text[text.index(after: equals)...])
            // Drop <rule> references, {tags} and /weights/.
            for (open, close) in [("<", ">"), ("{", "}"), ("/", "/")] {
                while let start = text.range(of: open), let end = text.range(of: close, range: start.upperBound..<text.endIndex) {
                    text.removeSubrange(start.lowerBound..<end.upperBound)
                }
            }
            for token in text.split(whereSeparator: { " \t\n\r|()[]*+".contains($0) }) {
                words.insert(token.lowercased())
            }
        }
        return words
    }
}
