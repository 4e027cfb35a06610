import Foundation
import HostAudio
import HostNet

/// Realtime's speech to the caller. The service sends a reply's audio faster than real time, so
/// it is queued here (brought to the transport's rate) and sent one 20 ms frame per loop-timer
/// tick, like `AgentPlayback` does for synthesised replies. It counts what the caller heard of
/// the reply in progress, which a barge-in reports to the service. Loop thread only.
final class RealtimePlayback: @unchecked Sendable {
    // @unchecked: loop-confined.
    private let loop: EventLoop
    private let transport: CallTransport
    private let outbound: Resampler?
    private var queued: [Int16] = []
    private var sent = 0
    /// Samples of the current reply sent to the caller.
    private var played = 0
    /// Ticks without audio: a reply is over after 500 ms of nothing (a late delta is not a new reply).
    private var idleTicks = 0
    private var pacer: LoopTimer?

    init(loop: EventLoop, transport: CallTransport, inputRate: Int) {
        self.loop = loop
        self.transport = transport
        outbound = inputRate == transport.sampleRate ? nil : try? Resampler(inputRate: inputRate, outputRate: transport.sampleRate)
    }

    /// Audio is queued or playing.
    var isActive: Bool { pacer != nil && sent < queued.count }

    func enqueue(_ samples: [Int16]) {
        queue(outbound?.process(samples) ?? samples)
    }

    /// Audio that is not the model's (the recording announcement), at its own `rate`.
    func enqueue(_ samples: [Int16], at rate: Int) {
        guard rate != transport.sampleRate else { return queue(samples) }
        guard let resampler = try? Resampler(inputRate: rate, outputRate: transport.sampleRate) else { return }
        queue(resampler.process(samples))
    }

    private func queue(_ samples: [Int16]) {
        queued.append(contentsOf: samples)
        guard pacer == nil else { return }
        let timer = LoopTimer(loop: loop)
        pacer = timer
        timer.start(after: 0, repeat: 20) { [weak self] in self?.tick() }
    }

    private func tick() {
        guard sent < queued.count else {
            idleTicks += 1
            if idleTicks >= 25 { stop() }
            return
        }
        idleTicks = 0
        let end = min(sent + transport.sampleRate / 50, queued.count)
        transport.send(audio: queued[sent..<end])
        played += end - sent
        sent = end
    }

    /// Barge-in: what was queued is dropped (here and in the client's buffer). Returns the
    /// milliseconds of the reply the caller heard.
    func interrupt() -> Int {
        let heard = played * 1000 / transport.sampleRate
        stop()
        transport.clearAudio()
        return heard
    }

    /// Stops without telling the client (hang-up, fallback).
    func stop() {
        pacer?.close()
        pacer = nil
        queued.removeAll()
        sent = 0
        played = 0
        idleTicks = 0
    }
}
