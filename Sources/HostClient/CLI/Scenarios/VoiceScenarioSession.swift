import Foundation
import HostAudio
import HostNet
import Synchronization

/// `--voice`: one call over `WS /ws/voice/{caller}` (docs/protocol.md §2) for the whole scenario.
/// Each turn's line is synthesised offline (flite, as `agent-host call --say`) and streamed in
/// real time; between turns the line carries silence, as a phone line does. A turn is over when
/// its `turn_end` (or `end`) has come and the agent's audio has stopped arriving, so the next
/// turn is never spoken over the agent (that would be a barge-in); after the scenario's last turn
/// the client hangs up once the agent's first audio is in. Latency: from the end of the
/// caller's voiced audio (by the server's energy VAD run on what was sent) to the agent's first
/// audio frame, the figure `agent-host call` prints.
final class VoiceScenarioSession: ScenarioSession, @unchecked Sendable {
    // @unchecked: the fields below `loop` are touched only on the loop thread; the main thread
    // reads results through `finished`, written before a semaphore is signalled.
    /// After the turn is decided: how long no agent audio may arrive before the agent is done.
    static let quietMilliseconds: UInt64 = 1_200
    /// The last turn: how long after `turn_end` the events that close a session (`end`) may come.
    static let settleMilliseconds: UInt64 = 300
    /// After the turn is decided with no audio yet: how long synthesis may take to start.
    static let firstAudioMilliseconds: UInt64 = 5_000

    private struct Turn {
        /// The scenario's last turn: over once the agent's first audio (the latency) is in and the
        /// session's closing events had time to come; nothing will be spoken over the rest.
        var last: Bool
        var speechSentAt: UInt64?
        var voicedEnd: UInt64?
        var decidedAt: UInt64?
        var firstAudio: UInt64?
        var lastAudio: UInt64 = 0
        var events: [[String: Any]] = []
    }

    private let loop: EventLoop
    private let sampleRate = 16_000
    private let silence: [UInt8]
    private var socket: WebSocketConnection?
    private var pacer: LoopTimer?
    private var queue: [(frame: [UInt8], voiced: Bool)] = []
    private var streamStart: UInt64 = 0
    private var sent = 0
    /// Events that came while no turn was running (the `session` event): they go to the next turn.
    private var early: [[String: Any]] = []
    private var turn: Turn?
    private var sessionEnded = false
    private var closed = false
    private var closeProblem: String?

    private let opened = DispatchSemaphore(value: 0)
    private let turnDone = DispatchSemaphore(value: 0)
    private let lineClosed = DispatchSemaphore(value: 0)
    private let finished = Mutex<TurnObservation?>(nil)
    private let openProblem = Mutex<String?>(nil)
    private var endedSeen = false  // main thread

    init(loop: EventLoop, socketURL: String, token: String?) {
        self.loop = loop
        silence = [UInt8](repeating: 0, count: sampleRate / 50 * 2)
        let headers = HTTPHeaders(token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        WebSocketClient.connect(socketURL, headers: headers, loop: loop, handler: handler()) { [self] error in
            let hint = error.status == nil ? " (is `agent-host serve` or `agent-host demo` running?)" : ""
            openProblem.withLock { $0 = "cannot start a call: \(error)\(hint)" }
            opened.signal()
        }
        if opened.wait(timeout: .now() + 15) == .timedOut {
            openProblem.withLock { $0 = $0 ?? "the call opened no session within 15 s" }
        }
    }

    func run(_ scenarioTurn: ScenarioTurn, last: Bool) -> TurnObservation {
        var seen = TurnObservation()
        if let problem = openProblem.withLock({ $0 }) { seen.problem = problem; return seen }
        guard !endedSeen else { seen.problem = "the session had already ended"; return seen }
        let audio: WAVAudio
        do {
            audio = CallerAudio.onWireRate(try CallerAudio.synthesize(scenarioTurn.spoken))
        } catch {
            seen.problem = "cannot synthesise \"\(scenarioTurn.spoken)\": \(error)"
            return seen
        }
        let frames = Self.frames(audio, sampleRate: sampleRate)
        let speechSeconds = Double(frames.count) / 50
        loop.execute { [self] in begin(frames, last: last) }
        let limit = Int(speechSeconds) + scenarioTurnTimeoutSeconds + 10
        if turnDone.wait(timeout: .now() + .seconds(limit)) == .timedOut {
            seen.problem = "the turn did not end within \(limit) s"
            return seen
        }
        seen = finished.withLock { $0 } ?? seen
        if seen.ended != nil { endedSeen = true }
        return seen
    }

    /// `{"type":"end"}` unless the host ended the session; then waits for the host to close the
    /// line, closing it ourselves after a second (the rest of the agent's words are not needed).
    func hangUp() {
        guard openProblem.withLock({ $0 }) == nil else { return }
        loop.execute { [self] in
            if !sessionEnded, !closed { socket?.send(text: #"{"type":"end"}"#) }
            if closed { lineClosed.signal(); return }
            LoopTimer.after(on: loop, milliseconds: 1_000) { [self] in socket?.close() }
        }
        _ = lineClosed.wait(timeout: .now() + 10)
        loop.execute { [self] in
            pacer?.close()
            pacer = nil
        }
    }

    /// 20 ms PCM16 frames at the wire rate (16 kHz from flite), each marked voiced or not by the
    /// energy VAD the server uses, with 300 ms of room tone first so the onset is heard.
    static func frames(_ audio: WAVAudio, sampleRate: Int) -> [(frame: [UInt8], voiced: Bool)] {
        let samples = [Int16](repeating: 0, count: audio.sampleRate * 3 / 10) + audio.samples
        let size = audio.sampleRate / 50
        var configuration = EnergyVAD.Configuration()
        configuration.sampleRate = audio.sampleRate
        var vad = EnergyVAD(configuration: configuration)
        return stride(from: 0, to: samples.count, by: size).map {
            var chunk = Array(samples[$0..<min($0 + size, samples.count)])
            chunk += [Int16](repeating: 0, count: size - chunk.count)
            return (PCM16.littleEndianBytes(chunk[...]), vad.probability(chunk) >= 0.5)
        }
    }

    // MARK: loop thread

    private func handler() -> WebSocketHandler {
        WebSocketHandler(
            onOpen: { [self] socket in
                self.socket = socket
                socket.send(text: #"{"type":"start","sample_rate":\#(sampleRate),"encoding":"pcm16"}"#)
            },
            onText: { [self] _, text in received(text) },
            onBinary: { [self] _, _ in
                guard var current = turn, current.speechSentAt != nil else { return }
                let now = loop.nowMilliseconds
                if current.firstAudio == nil { current.firstAudio = now }
                current.lastAudio = now
                turn = current
            },
            onClose: { [self] _, code, reason in
                closed = true
                if !sessionEnded { closeProblem = "the host closed the call (\(code)\(reason.isEmpty ? "" : " \(reason)"))" }
                if pacer == nil { openProblem.withLock { $0 = $0 ?? closeProblem }; opened.signal() }
                lineClosed.signal()
                check()
            })
    }

    private func received(_ text: String) {
        guard let event = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        let type = event["type"] as? String
        if turn != nil { turn!.events.append(event) } else { early.append(event) }
        switch type {
        case "session": startStreaming()
        case "turn_end", "end":
            if type == "end" { sessionEnded = true }
            if turn != nil, turn!.decidedAt == nil { turn!.decidedAt = loop.nowMilliseconds }
        default: break
        }
    }

    private func startStreaming() {
        guard pacer == nil else { return }
        let timer = LoopTimer(loop: loop)
        pacer = timer
        streamStart = loop.nowMilliseconds
        timer.start(after: 0, repeat: 10) { [self] in tick() }
        opened.signal()
    }

    private func begin(_ frames: [(frame: [UInt8], voiced: Bool)], last: Bool) {
        queue += frames
        turn = Turn(last: last, events: early)
        early = []
        check()
    }

    /// Frames are due by the wall clock (20 ms each from the first), so timer jitter never
    /// stretches the caller's speech; silence when nothing is queued.
    private func tick() {
        let now = loop.nowMilliseconds
        let due = Int((now - streamStart) / 20) + 1
        while sent < due, !closed {
            if queue.isEmpty {
                socket?.send(binary: silence)
            } else {
                let next = queue.removeFirst()
                socket?.send(binary: next.frame)
                if next.voiced { turn?.voicedEnd = now + 20 }
                if queue.isEmpty, turn != nil { turn!.speechSentAt = now }
            }
            sent += 1
        }
        check()
    }

    /// Ends the running turn when the agent is done (or the line is gone, or it took too long).
    private func check() {
        guard let current = turn else { return }
        let now = loop.nowMilliseconds
        var seen = TurnObservation()
        seen.events = current.events
        if let first = current.firstAudio, let voicedEnd = current.voicedEnd {
            seen.latencyMilliseconds = first > voicedEnd ? Int(first - voicedEnd) : 0
        }
        if let decided = current.decidedAt {
            let lastSound = max(current.lastAudio, decided)
            let heardSome = current.firstAudio != nil || now - decided >= Self.firstAudioMilliseconds
            let over = current.last ? now - decided >= Self.settleMilliseconds : now - lastSound >= Self.quietMilliseconds
            guard closed || (heardSome && over) else { return }
        } else if closed {
            seen.problem = closeProblem ?? "the call closed before the turn ended"
        } else if let sentAt = current.speechSentAt, now - sentAt >= UInt64(scenarioTurnTimeoutSeconds) * 1000 {
            let heard = current.events.contains { $0["type"] as? String == "user" }
            seen.problem = "no turn_end within \(scenarioTurnTimeoutSeconds) s of the caller's last audio" + (heard ? "" : " (nothing was recognised)")
        } else {
            return
        }
        turn = nil
        finished.withLock { $0 = seen }
        turnDone.signal()
    }
}
