import Foundation
import HostAudio
import HostNet
import HostSpeech
import HostSupport

/// The agent's side of a call: replies synthesised off the loop, queued in order, and sent to the
/// transport one 20 ms frame per loop-timer tick, in real time. It knows how much of each reply
/// the caller has heard, so a barge-in can record only that. Loop thread only.
final class AgentPlayback: @unchecked Sendable {
    // @unchecked: loop-confined; synthesis callbacks hop to the loop before touching anything.
    /// One thing the agent said, as it is being synthesised and played.
    final class Reply: @unchecked Sendable {  // loop-confined, like the playback
        let number: Int
        let text: String
        var job: SynthesisJob?
        /// Audio at the transport's rate; `played` samples of it have been sent.
        var audio: [Int16] = []
        var played = 0
        /// Where each finished sentence ends in `audio`, with its text.
        var sentences: [(end: Int, text: String)] = []
        var synthesisDone = false
        /// Its `speech_synthesis` span (VoiceCall+Tracing.swift).
        var span: TraceSpan?

        init(number: Int, text: String) {
            self.number = number
            self.text = text
        }

        var finished: Bool { synthesisDone && played >= audio.count }
    }

    private let loop: EventLoop
    private let transport: CallTransport
    private let synthesizer: any SpeechSynthesizer
    private let voiceName: String?
    private var outbound: Resampler?
    private var replies: [Reply] = []
    private var replyCount = 0
    private var pacer: LoopTimer?
    /// Frames are held (not dropped) while this says so: the caller may be starting to speak.
    var isHeld: () -> Bool = { false }
    /// Everything queued was played.
    var onIdle: () -> Void = {}
    /// Synthesis failed: the call reports it (the caller still sees the text event).
    var onSynthesisFailed: (String) -> Void = { _ in }
    /// Starts a reply's `speech_synthesis` span (nil: tracing off).
    var startSynthesisSpan: (_ characters: Int) -> TraceSpan? = { _ in nil }

    init(loop: EventLoop, transport: CallTransport, synthesizer: any SpeechSynthesizer, voice: String?) {
        self.loop = loop
        self.transport = transport
        self.synthesizer = synthesizer
        self.voiceName = voice
        if synthesizer.sampleRate != transport.sampleRate {
            outbound = try? Resampler(inputRate: synthesizer.sampleRate, outputRate: transport.sampleRate)
        }
    }

    /// True while any reply is being synthesised or has audio left to play.
    var isActive: Bool { !replies.isEmpty }

    /// Queues `text`; its audio starts as soon as the first sentence is rendered.
    func speak(_ text: String) {
        loop.preconditionInLoop()
        replyCount += 1
        let reply = Reply(number: replyCount, text: text)
        replies.append(reply)
        reply.span = startSynthesisSpan(text.count)
        reply.job = synthesizer.synthesize(text: text, voice: voiceName) { [weak self, loop] event in
            let playback = self
            loop.execute { playback?.synthesis(event, for: reply) }
        }
    }

    private func synthesis(_ event: SynthesisEvent, for reply: Reply) {
        loop.preconditionInLoop()
        guard replies.contains(where: { $0 === reply }) else { return }  // interrupted meanwhile
        switch event {
        case .audio(let chunk):
            reply.audio.append(contentsOf: outbound?.process(chunk.samples) ?? chunk.samples)
            startPacing()
        case .sentenceFinished(_, let text):
            reply.sentences.append((reply.audio.count, text))
        case .finished, .cancelled:
            reply.synthesisDone = true
            reply.job = nil
            reply.span?.end()
            reply.span = nil
            startPacing()
        case .failed(let error):
            reply.synthesisDone = true
            reply.job = nil
            reply.span?.fail("synthesis failed")
            reply.span?.end()
            reply.span = nil
            onSynthesisFailed("speech synthesis failed for a reply: \(error)")
            startPacing()
        }
    }

    private func startPacing() {
        guard pacer == nil else { return }
        let timer = LoopTimer(loop: loop)
        pacer = timer
        timer.start(after: 0, repeat: 20) { [weak self] in self?.tick() }
    }

    /// One 20 ms frame from the front reply; replies finished in between are reported.
    private func tick() {
        while let front = replies.first, front.finished {
            replies.removeFirst()
            transport.replyFinished(front.number)
        }
        guard let front = replies.first else {
            stopPacing()
            return onIdle()
        }
        guard !isHeld(), front.played < front.audio.count else { return }  // held, or synthesis is behind
        let end = min(front.played + transport.sampleRate / 50, front.audio.count)
        transport.send(audio: front.audio[front.played..<end])
        front.played = end
    }

    private func stopPacing() {
        pacer?.close()
        pacer = nil
    }

    /// Barge-in: synthesis stopped, queued audio dropped. Returns each reply that was cut, with
    /// the words the caller heard of it (whole sentences played, plus the played share of the
    /// sentence in progress, by words).
    func interrupt() -> [(reply: Reply, heard: String)] {
        loop.preconditionInLoop()
        let cut = replies.map { reply -> (reply: Reply, heard: String) in
            reply.job?.cancel()
            reply.span?.set("agent_host.speech.interrupted", true)
            reply.span?.end()
            reply.span = nil
            return (reply, Self.heardText(of: reply))
        }
        replies.removeAll()
        stopPacing()
        transport.clearAudio()
        return cut
    }

    /// Stops everything (hang-up).
    func close() {
        loop.preconditionInLoop()
        for reply in replies { reply.job?.cancel() }
        replies.removeAll()
        stopPacing()
    }

    static func heardText(of reply: Reply) -> String {
        guard reply.played > 0 else { return "" }
        var heard: [String] = []
        var sentenceStart = 0
        for sentence in reply.sentences {
            if sentence.end <= reply.played {
                heard.append(sentence.text)
                sentenceStart = sentence.end
                continue
            }
            heard.append(partial(sentence.text, played: reply.played - sentenceStart, of: sentence.end - sentenceStart))
            return joined(heard)
        }
        // The sentence in progress has not finished rendering: its length so far is the estimate.
        let rendered = reply.sentences.count
        let pieces = SentenceSplitter.split(reply.text, firstMaxCharacters: 40)
        if rendered < pieces.count {
            heard.append(partial(pieces[rendered], played: reply.played - sentenceStart, of: max(reply.audio.count - sentenceStart, 1)))
        }
        return joined(heard)
    }

    private static func partial(_ sentence: String, played: Int, of total: Int) -> String {
        let words = sentence.split(separator: " ")
        let count = Int((Double(words.count) * Double(played) / Double(max(total, 1))).rounded(.down))
        return words.prefix(max(0, min(count, words.count))).joined(separator: " ")
    }

    private static func joined(_ parts: [String]) -> String {
        parts.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
