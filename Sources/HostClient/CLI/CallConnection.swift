import Foundation
import HostAudio
import HostNet

/// The client side of one voice call, on the client's loop: sends `start`, streams the caller's
/// audio in real time once the session exists, keeps the line open with silence until the agent
/// is done, hangs up, and collects the agent's audio until the host closes the line (the last
/// words of a session that ended play after its `end` event). Each turn's latency, from the end
/// of the caller's speech to the agent's first audio, is reported as a `call_latency` line.
/// `wait()` blocks the calling (main) thread until the call is over.
final class CallConnection: @unchecked Sendable {
    // @unchecked: everything but `outcome`/`done` is touched only on the loop thread; `outcome` is
    // written there before `done` is signalled and read after.
    struct Outcome {
        var agentAudio: [Int16] = []
        /// nil when the call went as planned; else a one-line reason (exit code 1).
        var problem: String?
        var connected = false
    }

    /// After the caller's audio: how long nothing may arrive (events or audio) before the agent
    /// counts as done. Longer than the server's silence window plus recognition, and than the
    /// gap between two synthesised sentences.
    static let quietMilliseconds: UInt64 = 1_200
    /// A `speech_stopped` with no `user` event after this long: the recogniser heard no words.
    static let recognitionMilliseconds: UInt64 = 5_000
    /// After `end`: how long the host may go on playing the agent's last words before we close
    /// the line ourselves (the host closes it when they have played, 15 s at most).
    static let lastWordsMilliseconds: UInt64 = 20_000

    private let loop: EventLoop
    private let sampleRate: Int
    private let frames: [[UInt8]]
    /// Which of `frames` hold the caller's voice (the server's VAD, run here on what we send).
    private let voiced: [Bool]
    /// When each frame (speech, then silence) was sent, by the loop's clock.
    private var sentAt: [UInt64] = []
    /// The end of the caller's speech in the turn the server just closed, until the agent's first audio.
    private var unansweredSpeechEnd: UInt64?
    private var turns = 0
    private let silence: [UInt8]
    private let answerTimeout: UInt64
    private let show: @Sendable (String) -> Void
    private var socket: WebSocketConnection?
    private var pacer: LoopTimer?
    private var streamStart: UInt64 = 0
    private var sent = 0
    private var speechSentAt: UInt64?
    private var lastActivity: UInt64 = 0
    private var speaking = false
    private var recognizingSince: UInt64?
    private var awaitingTurnEnd = false
    private var hungUp = false
    private var decoder = PCM16Decoder()
    private var outcome = Outcome()
    private let done = DispatchSemaphore(value: 0)
    private var finished = false

    init(loop: EventLoop, audio: WAVAudio, answerTimeoutMilliseconds: UInt64, show: @escaping @Sendable (String) -> Void) {
        self.loop = loop
        sampleRate = audio.sampleRate
        let frameSamples = audio.sampleRate / 50
        let chunks = stride(from: 0, to: audio.samples.count, by: frameSamples).map {
            Array(audio.samples[$0..<min($0 + frameSamples, audio.samples.count)])
        }
        frames = chunks.map { PCM16.littleEndianBytes($0[...]) }
        var configuration = EnergyVAD.Configuration()
        configuration.sampleRate = audio.sampleRate
        var vad = EnergyVAD(configuration: configuration)
        voiced = chunks.map { vad.probability($0) >= 0.5 }
        silence = [UInt8](repeating: 0, count: frameSamples * 2)
        answerTimeout = answerTimeoutMilliseconds
        self.show = show
    }

    func handler() -> WebSocketHandler {
        WebSocketHandler(
            onOpen: { [self] socket in
                self.socket = socket
                outcome.connected = true
                socket.send(text: #"{"type":"start","sample_rate":\#(sampleRate),"encoding":"pcm16"}"#)
            },
            onText: { [self] _, text in received(text) },
            onBinary: { [self] _, bytes in
                lastActivity = loop.nowMilliseconds
                outcome.agentAudio += decoder.decode(bytes)
                if let end = unansweredSpeechEnd {
                    unansweredSpeechEnd = nil
                    turns += 1
                    let milliseconds = lastActivity > end ? lastActivity - end : 0
                    show(#"{"end_of_speech_to_first_audio_ms":\#(milliseconds),"turn":\#(turns),"type":"call_latency"}"#)
                }
            },
            onClose: { [self] _, code, reason in
                if !hungUp { outcome.problem = "the host closed the call (\(code)\(reason.isEmpty ? "" : " \(reason)"))" }
                finish()
            })
    }

    /// Connecting failed (refused, rejected handshake, bad URL).
    func failed(_ error: WebSocketClientError) {
        let hint = error.status == nil ? " (is `agent-host serve` or `agent-host demo` running?)" : ""
        outcome.problem = "cannot start a call: \(error)\(hint)"
        finishAnyThread()
    }

    func wait() -> Outcome {
        done.wait()
        return outcome
    }

    private func received(_ text: String) {
        show(text)
        lastActivity = loop.nowMilliseconds
        guard let type = Self.type(of: text) else { return }
        switch type {
        case "session": startStreaming()
        case "speech_started": speaking = true
        case "speech_stopped":
            speaking = false
            recognizingSince = lastActivity
            unansweredSpeechEnd = speechEnd(beforeStreamMilliseconds: Self.atMilliseconds(of: text))
        case "user": recognizingSince = nil; awaitingTurnEnd = true
        case "turn_end": awaitingTurnEnd = false
        case "end":
            // The session is over (agent ended it, escalation, or our hang-up). The host closes the
            // line once the agent's last words have played: keep receiving until then.
            pacer?.close()
            pacer = nil
            hungUp = true
            if let socket { LoopTimer.after(on: loop, milliseconds: Self.lastWordsMilliseconds) { socket.close() } }
        default: break
        }
    }

    /// Frames are due by the wall clock (20 ms each from the first), so timer jitter never
    /// stretches or squeezes the caller's speech.
    private func startStreaming() {
        guard pacer == nil else { return }
        let timer = LoopTimer(loop: loop)
        pacer = timer
        streamStart = loop.nowMilliseconds
        timer.start(after: 0, repeat: 10) { [self] in tick() }
    }

    private func tick() {
        let now = loop.nowMilliseconds
        let due = Int((now - streamStart) / 20) + 1
        while sent < due {
            socket?.send(binary: sent < frames.count ? frames[sent] : silence)
            sentAt.append(now)
            sent += 1
            if sent == frames.count { speechSentAt = now; lastActivity = now }
        }
        guard let speechSentAt else { return }
        let recognizing = recognizingSince.map { now - $0 < Self.recognitionMilliseconds } ?? false
        if !speaking && !recognizing && !awaitingTurnEnd && now - lastActivity >= Self.quietMilliseconds {
            hangUp()
        } else if now - speechSentAt >= answerTimeout {
            outcome.problem = "no complete answer within \(answerTimeout / 1000) s of the caller's last audio"
            hangUp()
        }
    }

    /// `{"type":"end"}`; the host answers with an `end` event and we close (or the guard does).
    private func hangUp() {
        pacer?.close()
        pacer = nil
        guard !hungUp, let socket else { return }
        hungUp = true
        socket.send(text: #"{"type":"end"}"#)
        LoopTimer.after(on: loop, milliseconds: 3_000) { socket.close() }
    }

    private func finishAnyThread() {
        if !loop.execute({ [self] in finish() }) { finish() }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        pacer?.close()
        pacer = nil
        done.signal()
    }

    /// When the caller stopped speaking before the server's `speech_stopped` at `streamMilliseconds`
    /// (which comes after its silence window): the end of the last voiced frame sent before it, by
    /// our clock; without one, the moment the server means.
    private func speechEnd(beforeStreamMilliseconds at: Int?) -> UInt64? {
        guard !sentAt.isEmpty else { return nil }
        let stopped = min(max(0, (at ?? Int.max / 2) / 20), sentAt.count - 1)
        let last = (0...min(stopped, voiced.count - 1)).last { voiced[$0] }
        return last.map { sentAt[$0] + 20 } ?? sentAt[stopped]
    }

    static func atMilliseconds(of text: String) -> Int? {
        ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["at_ms"] as? Int
    }

    /// The event's `type` without decoding the whole object.
    static func type(of text: String) -> String? {
        ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["type"] as? String
    }
}

extension LoopTimer {
    /// Runs `body` once on `loop`'s thread after `milliseconds`, then releases the timer. Loop thread.
    static func after(on loop: EventLoop, milliseconds: UInt64, _ body: @escaping () -> Void) {
        let timer = LoopTimer(loop: loop)
        timer.start(after: milliseconds) {
            timer.close()
            body()
        }
    }
}
