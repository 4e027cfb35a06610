import Foundation
import HostNet

/// One simulated phone caller on the voice WebSocket, driven by `CallerDriver` on the client loop:
/// the line is always open (one 20 ms frame per 20 ms, silence between utterances, as a phone
/// sends), the caller says an utterance, waits until the agent's answer has finished playing,
/// pauses, and speaks again. Frames are pre-encoded; the caller only sends and timestamps.
final class SimulatedCaller: @unchecked Sendable {
    // @unchecked: touched only on the client loop's thread.
    private enum Phase {
        case connecting
        case pausing(until: UInt64)
        case speaking(utterance: Int, frame: Int)
        /// Waiting for the answer since the last speech frame went out at `speechEnd`.
        case awaiting(speechEnd: UInt64)
    }

    let id: Int
    private let utterances: [[[UInt8]]]
    private let silence: [UInt8]
    private let stats: CallerStats
    private var socket: WebSocketConnection?
    private var phase = Phase.connecting
    private var streamStart: UInt64 = 0
    private var framesSent = 0
    private var nextUtterance: Int
    // The turn being answered (event arrival times, ns; 0 = not yet).
    private var stopped: UInt64 = 0, heard: UInt64 = 0, answered: UInt64 = 0, firstAudio: UInt64 = 0
    private var lastAudio: UInt64 = 0
    /// When `turn_end` arrived (ns; 0 = not yet).
    private var turnEnded: UInt64 = 0
    private(set) var closed = false
    /// Hang up and call again after this many turns (nil: one long call), so first turns of
    /// calls keep happening while figures are taken (`voice latency`).
    var turnsPerCall: Int?
    private var turnsInCall = 0
    private var url = ""
    private var loop: EventLoop?
    /// Which call's socket events count (an old call's close may arrive after the redial).
    private var generation = 0
    private var finished = false

    init(id: Int, utterances: [[[UInt8]]], silence: [UInt8], stats: CallerStats) {
        self.id = id
        self.utterances = utterances
        self.silence = silence
        self.stats = stats
        nextUtterance = id % utterances.count
    }

    func connect(_ url: String, loop: EventLoop) {
        self.url = url
        self.loop = loop
        generation += 1
        let call = generation
        let handler = WebSocketHandler(
            onOpen: { socket in socket.send(text: #"{"type":"start","sample_rate":16000,"encoding":"pcm16"}"#) },
            onText: { [self] socket, text in if call == generation { received(text, on: socket) } },
            onBinary: { [self] _, _ in if call == generation { audioFrame() } },
            onClose: { [self] _, _, _ in
                guard call == generation else { return }
                if !closed { stats.dropped += 1 }
                closed = true
            })
        WebSocketClient.connect(url, loop: loop, handler: handler) { [self] _ in
            loop.execute { [self] in stats.connectFailures += 1; closed = true }
        }
    }

    /// Sends the frames now due (by the wall clock, so timer jitter never stretches the speech)
    /// and moves the call along. `now` in ns.
    func tick(_ now: UInt64) {
        guard let socket, !closed else { return }
        let due = Int((now - streamStart) / 20_000_000) + 1
        while framesSent < due {
            framesSent += 1
            if case .speaking(let utterance, let frame) = phase {
                socket.send(binary: utterances[utterance][frame])
                if frame + 1 < utterances[utterance].count {
                    phase = .speaking(utterance: utterance, frame: frame + 1)
                } else {
                    phase = .awaiting(speechEnd: now)
                    stopped = 0; heard = 0; answered = 0; firstAudio = 0; lastAudio = 0; turnEnded = 0
                }
            } else {
                socket.send(binary: silence)
            }
        }
        switch phase {
        case .pausing(let until) where now >= until:
            phase = .speaking(utterance: nextUtterance, frame: 0)
            nextUtterance = (nextUtterance + 1) % utterances.count
        case .awaiting(let speechEnd):
            // The answer is over once the turn has ended and its audio has stopped coming (audio
            // starts after turn_end: synthesis runs after the orchestration has finished).
            if turnEnded > 0 && firstAudio > 0 && now - lastAudio > 300_000_000 {
                finishTurn(speechEnd: speechEnd, now: now)
            } else if (turnEnded > 0 && firstAudio == 0 && now - turnEnded > 3_000_000_000) || now - speechEnd > 20_000_000_000 {
                stats.record(unanswered: now)
                pause(now)
            }
        default:
            break
        }
    }

    func hangUp() {
        finished = true
        endCall()
    }

    private func endCall() {
        guard let socket, !closed else { return }
        closed = true
        socket.send(text: #"{"type":"end"}"#)
        socket.close()
    }

    private func received(_ text: String, on socket: WebSocketConnection) {
        let now = DispatchTime.now().uptimeNanoseconds
        if text.contains(#""type":"session""#) {
            self.socket = socket
            streamStart = now
            framesSent = 0  // a redialled call's line starts again
            pause(now)
            return
        }
        guard case .awaiting = phase else { return }
        if text.contains(#""type":"speech_stopped""#) {
            if stopped == 0 { stopped = now }
        } else if text.contains(#""type":"user""#) && text.contains(#""final":true"#) {   // not a partial
            if heard == 0 { heard = now }
        } else if text.contains(#""type":"agent""#) {
            if answered == 0 { answered = now }
        } else if text.contains(#""type":"turn_end""#) {
            if turnEnded == 0 { turnEnded = now }
        }
    }

    private func audioFrame() {
        let now = DispatchTime.now().uptimeNanoseconds
        guard case .awaiting = phase else { return }
        if firstAudio == 0 {
            firstAudio = now
        } else {
            stats.record(gap: now - lastAudio, at: now)
        }
        lastAudio = now
    }

    private func finishTurn(speechEnd: UInt64, now: UInt64) {
        if firstAudio > 0 {
            stats.record(turn: CallerStats.Turn(speechEnd: speechEnd, stopped: stopped, heard: heard, answered: answered, firstAudio: firstAudio,
                                                first: turnsInCall == 0))
        } else {
            stats.record(unanswered: now)
        }
        turnsInCall += 1
        if let turnsPerCall, turnsInCall >= turnsPerCall, let loop { return redial(loop) }
        pause(now)
    }

    /// A new call from the same caller: a new socket, a new session, a first turn again.
    private func redial(_ loop: EventLoop) {
        endCall()
        generation += 1  // the old socket's late events no longer count
        socket = nil
        turnsInCall = 0
        phase = .connecting
        LoopTimer.once(on: loop, after: UInt64.random(in: 300...800)) { [self] in
            guard !finished else { return }
            closed = false
            connect(url, loop: loop)
        }
    }

    /// Like a person: a moment after the answer before speaking again (0.5-1.5 s).
    private func pause(_ now: UInt64) {
        phase = .pausing(until: now + UInt64.random(in: 500_000_000...1_500_000_000))
    }
}

/// All callers' figures, on the client loop; only what happens after `measureFrom` counts.
final class CallerStats: @unchecked Sendable {
    // @unchecked: touched only on the client loop's thread (read after the run stops).
    struct Turn {
        let speechEnd: UInt64, stopped: UInt64, heard: UInt64, answered: UInt64, firstAudio: UInt64
        /// The first turn of its call.
        var first = false
    }

    var measureFrom: UInt64 = .max
    /// The step is over: nothing more counts.
    var ended = false
    var turns: [Turn] = []
    var unanswered = 0
    var dropped = 0
    var connectFailures = 0
    /// Gaps between consecutive agent frames of one answer, in 1 ms buckets (last: ≥ 1 s).
    var gapHistogram = [Int](repeating: 0, count: 1_001)
    var maxGapNanoseconds: UInt64 = 0
    /// Gaps longer than 40 ms (two frames' time) while an answer plays: the caller heard a hole.
    var underruns = 0
    static let underrunNanoseconds: UInt64 = 40_000_000

    /// A call's first turn counts even during the ramp: with long calls that is when they happen.
    func record(turn: Turn) { if turn.speechEnd >= measureFrom || (turn.first && !ended) { turns.append(turn) } }
    func record(unanswered at: UInt64) { if at >= measureFrom { unanswered += 1 } }

    func record(gap: UInt64, at: UInt64) {
        guard at >= measureFrom else { return }
        gapHistogram[min(Int(gap / 1_000_000), 1_000)] += 1
        maxGapNanoseconds = max(maxGapNanoseconds, gap)
        if gap > Self.underrunNanoseconds { underruns += 1 }
    }


    /// The gap at quantile `q` (ms, bucket resolution).
    func gapQuantile(_ q: Double) -> Int {
        let total = gapHistogram.reduce(0, +)
        guard total > 0 else { return 0 }
        var seen = 0
        for (bucket, count) in gapHistogram.enumerated() {
            seen += count
            if Double(seen) >= q * Double(total) { return bucket }
        }
        return 1_000
    }
}
