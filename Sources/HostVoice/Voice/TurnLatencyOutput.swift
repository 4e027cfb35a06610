import Foundation
import HostNet
import HostOrchestration
import HostSupport

/// The call's channel with a stopwatch on it: every event and audio frame the call sends passes
/// through here, so the stages of `turn_end`'s `latency_ms` (docs/protocol.md §1) are stamped
/// where they leave the host: the final `user` event, the first `agent` event, the first audio
/// frame after it. The call reports the end of speech and the moment the turn was decided.
///
/// `turn_end` comes from the orchestration before the first sentence is synthesised, so it is
/// held until the turn's first audio frame has gone out (then sent with every stage), or until
/// anything else must go out first (the next event keeps its order), or 3 s. Loop thread only.
final class TurnLatencyOutput: CallTransport, @unchecked Sendable {  // loop-confined, like the call
    let wrapped: CallTransport
    /// Where the stages are recorded (set when the session attaches).
    var metrics: MetricsRegistry?
    var tenant = ""

    private var endOfSpeech: UInt64?
    private var decided: UInt64?
    private var transcriptFinal: UInt64?
    private var firstText: UInt64?
    private var firstAudio: UInt64?
    private var held: (agent: String, latency: TurnLatency?)?
    private var holdTimer: LoopTimer?
    private let loop: EventLoop

    init(wrapping transport: CallTransport, loop: EventLoop) {
        wrapped = transport
        self.loop = loop
    }

    var sampleRate: Int { wrapped.sampleRate }
    var wireFormat: CallAudioFormat { wrapped.wireFormat }
    func receive(_ bytes: [UInt8], at rate: Int) -> [Int16] { wrapped.receive(bytes, at: rate) }
    func configure(sampleRate: Int, encoding: String) throws(VoiceCallError) {
        try wrapped.configure(sampleRate: sampleRate, encoding: encoding)
    }

    /// The VAD (or the semantic verdict) ended the caller's turn: `endOfSpeech` is when their
    /// last speech frame arrived (now minus the trailing silence). A new turn's clock starts.
    func speechEnded(trailingSilenceMilliseconds: Int) {
        release()
        let now = DispatchTime.now().uptimeNanoseconds
        endOfSpeech = now &- UInt64(max(trailingSilenceMilliseconds, 0)) * 1_000_000
        decided = now
        transcriptFinal = nil
        firstText = nil
        firstAudio = nil
    }

    func send(event: ConversationEvent) {
        let now = DispatchTime.now().uptimeNanoseconds
        switch event {
        case .turnEnd(let agent, let latency):
            release()
            held = (agent, latency)
            if firstAudio != nil || firstText == nil { return release() }  // nothing will be spoken: at once
            let timer = holdTimer ?? LoopTimer(loop: loop)
            holdTimer = timer
            timer.start(after: 3_000) { [weak self] in self?.release() }
            return
        case .user(_, true):
            release()
            if endOfSpeech == nil {  // typed (DTMF) input: its stages count from here
                (endOfSpeech, decided, firstText, firstAudio) = (now, nil, nil, nil)
            }
            transcriptFinal = now
        case .agent:
            release()
            if firstText == nil { firstText = now }
        default:
            release()
        }
        wrapped.send(event: event)
    }

    func send(audio frame: ArraySlice<Int16>) {
        wrapped.send(audio: frame)
        guard firstAudio == nil, firstText != nil else { return }
        firstAudio = DispatchTime.now().uptimeNanoseconds
        release()
    }

    func clearAudio() { wrapped.clearAudio() }
    func replyFinished(_ reply: Int) { wrapped.replyFinished(reply) }

    func close() {
        release()
        holdTimer?.close()
        holdTimer = nil
        wrapped.close()
    }

    /// Sends the held `turn_end` with the stages measured so far, and records them.
    private func release() {
        guard let (agent, modelLatency) = held else { return }
        held = nil
        holdTimer?.stop()
        var latency = modelLatency ?? TurnLatency()
        if let start = endOfSpeech {
            latency.turnDecided = decided.map { millisecondsBetween(start, $0) }
            latency.transcriptFinal = transcriptFinal.map { millisecondsBetween(start, $0) }
            latency.firstAgentText = firstText.map { millisecondsBetween(start, $0) }
            latency.firstAgentAudio = firstAudio.map { millisecondsBetween(start, $0) }
        }
        // One turn's stages are reported once: the next turn_end (a greeting, a typed turn) starts clean.
        endOfSpeech = nil
        decided = nil
        if let metrics { latency.observe(in: metrics, tenant: tenant, voice: true) }
        wrapped.send(event: .turnEnd(agent: agent, latency: latency.isEmpty ? nil : latency))
    }
}
