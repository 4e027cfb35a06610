import Foundation
import Synchronization

/// Mono PCM16 audio produced by a synthesizer: one piece of one sentence.
public struct SpeechAudioChunk: Sendable {
    public var samples: [Int16]
    /// Samples per second of `samples` (the synthesizer's `sampleRate`).
    public var sampleRate: Int
    /// Which sentence of the request this audio belongs to (0-based).
    public var sentenceIndex: Int

    public init(samples: [Int16], sampleRate: Int, sentenceIndex: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.sentenceIndex = sentenceIndex
    }

    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}

/// Figures for one finished synthesis request.
public struct SynthesisSummary: Sendable {
    public var sentences: Int
    public var samples: Int
    public var sampleRate: Int
    /// Time the engine spent rendering (excluding queue wait and the caller's event handler).
    public var synthesisSeconds: Double
    /// From the `synthesize` call to the first audio chunk (including any wait for the engine's
    /// queue): the latency a caller hears.
    public var firstAudioSeconds: Double?

    /// For synthesizers outside this module (cloud engines in HostModels).
    public init(sentences: Int, samples: Int, sampleRate: Int, synthesisSeconds: Double, firstAudioSeconds: Double?) {
        self.sentences = sentences
        self.samples = samples
        self.sampleRate = sampleRate
        self.synthesisSeconds = synthesisSeconds
        self.firstAudioSeconds = firstAudioSeconds
    }

    public var audioSeconds: Double { Double(samples) / Double(sampleRate) }
    /// Seconds of audio per second of rendering ("x real time"); 0 when nothing was rendered.
    public var realTimeFactor: Double { synthesisSeconds > 0 ? audioSeconds / synthesisSeconds : 0 }
}

/// What a synthesis request reports, in order: `.audio` and `.sentenceFinished` for each
/// sentence, then exactly one of `.finished`, `.cancelled` or `.failed`.
public enum SynthesisEvent: Sendable {
    case audio(SpeechAudioChunk)
    case sentenceFinished(index: Int, text: String)
    case finished(SynthesisSummary)
    case cancelled
    case failed(SpeechError)

    /// True for the last event of a request.
    public var isTerminal: Bool {
        switch self {
        case .finished, .cancelled, .failed: return true
        case .audio, .sentenceFinished: return false
        }
    }
}

/// A handle on one synthesis request. `cancel()` is safe from any thread at any time.
public final class SynthesisJob: Sendable {
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    /// Stops the request: no further audio is delivered after the engine notices (before the
    /// next sentence for flite, before the next buffer for espeak), and the request ends with
    /// `.cancelled` (unless it had already finished).
    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// Text to speech.
///
/// Threading contract: `synthesize` only enqueues the request on a serial queue the engine owns
/// and returns at once; it never renders on the caller's thread. Requests to one engine run one
/// after another in call order. `onEvent` is called on the engine's queue, sentence by sentence
/// as audio is rendered (so playback can start before the whole reply exists); it must return
/// quickly (hand the chunk to the audio loop) and must not call back into the synthesizer
/// synchronously waiting for a result. `SynthesisJob.cancel()` may be called from any thread.
public protocol SpeechSynthesizer: AnyObject, Sendable {
    /// Engine name for logs ("flite", "espeak-ng", ...).
    var name: String { get }
    /// Sample rate of every chunk this synthesizer delivers.
    var sampleRate: Int { get }
    /// Renders `text` (split into sentences) with `voice` (nil: the synthesizer's default).
    @discardableResult
    func synthesize(text: String, voice: String?, onEvent: @escaping @Sendable (SynthesisEvent) -> Void) -> SynthesisJob
}

extension SpeechSynthesizer {
    /// The events of one request as an `AsyncStream`; ending the iteration early (or cancelling
    /// the consuming task) cancels the request.
    public func synthesize(text: String, voice: String? = nil) -> AsyncStream<SynthesisEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: SynthesisEvent.self, bufferingPolicy: .unbounded)
        let job = synthesize(text: text, voice: voice) { event in
            continuation.yield(event)
            if event.isTerminal { continuation.finish() }
        }
        continuation.onTermination = { reason in
            if case .cancelled = reason { job.cancel() }
        }
        return stream
    }

    /// The whole reply as one buffer (prompts rendered ahead of time, tests).
    public func synthesizeAll(text: String, voice: String? = nil) async throws(SpeechError) -> (samples: [Int16], summary: SynthesisSummary) {
        var samples: [Int16] = []
        for await event in synthesize(text: text, voice: voice) {
            switch event {
            case .audio(let chunk): samples.append(contentsOf: chunk.samples)
            case .sentenceFinished: break
            case .finished(let summary): return (samples, summary)
            case .cancelled: throw .engineFailure("synthesis cancelled")
            case .failed(let error): throw error
            }
        }
        throw .engineFailure("synthesis ended without a result")
    }
}

/// Splits a reply into the units synthesised one at a time: sentences, and long sentences at
/// clause boundaries, so the first audio is ready after one short unit.
public enum SentenceSplitter {
    /// Words whose trailing period does not end a sentence.
    static let abbreviations: Set<String> = [
        "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "approx", "dept", "no", "inc", "ltd", "co",
    ]

    /// Sentences of `text`, trimmed, none empty; a sentence longer than `maxCharacters` is cut
    /// after a comma, semicolon or colon near its middle when it has one. With
    /// `firstMaxCharacters`, a longer first unit is cut at its first clause boundary, so the
    /// caller's first audio waits for a short phrase ("Your balance is $120.50,") rather than a
    /// whole sentence: a voice call's time to first audio is the render time of this unit.
    public static func split(_ text: String, maxCharacters: Int = 160, firstMaxCharacters: Int? = nil) -> [String] {
        var units = split(text, maxCharacters: maxCharacters)
        if let limit = firstMaxCharacters, let first = units.first, first.count > limit {
            units.replaceSubrange(0..<1, with: cutFirstClause(first))
        }
        return units
    }

    static func split(_ text: String, maxCharacters: Int) -> [String] {
        var sentences: [String] = []
        var current = ""
        let characters = Array(text)
        var index = 0
        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { sentences.append(contentsOf: cutLong(trimmed, maxCharacters: maxCharacters)) }
            current = ""
        }
        while index < characters.count {
            let character = characters[index]
            if character.isNewline {
                flush()
                index += 1
                continue
            }
            current.append(character)
            if character == "." || character == "!" || character == "?" || character == "…" {
                // Take closing quotes/brackets and repeated marks with the sentence.
                var next = index + 1
                while next < characters.count, "\"'”’)]!?.".contains(characters[next]) {
                    current.append(characters[next])
                    next += 1
                }
                let atBoundary = next >= characters.count || characters[next].isWhitespace
                if atBoundary && !(character == "." && endsWithAbbreviation(current)) {
                    flush()
                }
                index = next
                continue
            }
            index += 1
        }
        flush()
        return sentences
    }

    static func endsWithAbbreviation(_ sentence: String) -> Bool {
        let lastWord = sentence.split(whereSeparator: { $0.isWhitespace }).last.map(String.init) ?? ""
        let bare = lastWord.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".\"'(“‘"))
        if abbreviations.contains(bare) { return true }
        // A single initial ("J.") or a dotted acronym ("U.S.") rarely ends a reply sentence.
        return bare.count == 1 && bare.first!.isLetter && lastWord.first!.isUppercase
    }

    /// The sentence cut after its first comma, semicolon or colon that leaves at least 15
    /// characters on each side; unchanged when it has none.
    static func cutFirstClause(_ sentence: String) -> [String] {
        let characters = Array(sentence)
        for (offset, character) in characters.enumerated() where ",;:".contains(character) {
            let next = offset + 1
            guard next < characters.count, characters[next].isWhitespace, offset >= 15, characters.count - offset >= 15 else { continue }
            return [String(characters[...offset]).trimmingCharacters(in: .whitespaces),
                    String(characters[next...]).trimmingCharacters(in: .whitespaces)]
        }
        return [sentence]
    }

    static func cutLong(_ sentence: String, maxCharacters: Int) -> [String] {
        guard sentence.count > maxCharacters else { return [sentence] }
        let characters = Array(sentence)
        let middle = characters.count / 2
        var best: Int?
        for (offset, character) in characters.enumerated() where ",;:".contains(character) {
            let next = offset + 1
            guard next < characters.count, characters[next].isWhitespace, offset >= 20, characters.count - offset >= 20 else { continue }
            if best == nil || abs(offset - middle) < abs(best! - middle) { best = offset }
        }
        guard let cut = best else { return [sentence] }
        let head = String(characters[...cut]).trimmingCharacters(in: .whitespaces)
        let tail = String(characters[(cut + 1)...]).trimmingCharacters(in: .whitespaces)
        return cutLong(head, maxCharacters: maxCharacters) + cutLong(tail, maxCharacters: maxCharacters)
    }
}

/// The sentence loop shared by the local engines; runs on the engine's queue.
struct SentenceRunner {
    let sampleRate: Int
    let job: SynthesisJob
    let requestedAt: Double
    let onEvent: @Sendable (SynthesisEvent) -> Void

    /// `render(sentence, index, emit)` renders one sentence and hands audio to `emit`, which
    /// returns false once the job is cancelled (the engine should stop early if it can).
    func run(sentences: [String], render: (String, Int, ([Int16]) -> Bool) throws(SpeechError) -> Void) {
        var samples = 0
        var handlerSeconds = 0.0
        var firstAudio: Double?
        let started = monotonicSeconds()
        for (index, sentence) in sentences.enumerated() {
            if job.isCancelled { onEvent(.cancelled); return }
            do {
                try render(sentence, index) { chunk in
                    guard !job.isCancelled else { return false }
                    guard !chunk.isEmpty else { return true }
                    let handlerStart = monotonicSeconds()
                    if firstAudio == nil { firstAudio = handlerStart - requestedAt }
                    samples += chunk.count
                    onEvent(.audio(SpeechAudioChunk(samples: chunk, sampleRate: sampleRate, sentenceIndex: index)))
                    handlerSeconds += monotonicSeconds() - handlerStart
                    return !job.isCancelled
                }
            } catch {
                onEvent(.failed(error))
                return
            }
            if job.isCancelled { onEvent(.cancelled); return }
            let handlerStart = monotonicSeconds()
            onEvent(.sentenceFinished(index: index, text: sentence))
            handlerSeconds += monotonicSeconds() - handlerStart
        }
        let rendering = monotonicSeconds() - started - handlerSeconds
        onEvent(.finished(SynthesisSummary(sentences: sentences.count, samples: samples, sampleRate: sampleRate,
                                           synthesisSeconds: max(rendering, 0), firstAudioSeconds: firstAudio)))
    }
}
