import Foundation
import HostAudio
import HostNet
import HostOrchestration
import HostSupport

/// A SIP call's media (docs/telephony.md, "SIP trunk"): RTP on the loop's UDP socket. Caller
/// packets are put back in order (`RTPJitterBuffer`), decoded from the negotiated G.711 law and
/// handed to the call as PCM16 at 8 kHz (a lost packet is 20 ms of silence, so the turn detector's
/// clock stays right); RFC 4733 events are key presses. The agent's frames (20 ms at 8 kHz, paced
/// by the call) leave as one RTP packet each; digits an agent sends leave as RFC 4733 events.
/// SIP has no event stream: events go to the log (the line redacts them). Loop-confined.
package final class SIPTransport: CallTransport, @unchecked Sendable {
    package let sampleRate = 8_000
    /// What the call receives: PCM16 at 8 kHz (either law decoded here).
    package let wireFormat: CallAudioFormat
    private var inbound: CallAudioInbound
    private let loop: EventLoop
    private let socket: UDPSocket
    private let law: SDPAnswer.Law
    private let telephoneEvent: UInt8?
    private var sender = RTPSender()
    private var jitter = RTPJitterBuffer()
    private var keys = TelephoneEventReceiver()
    private var digitsOut: TelephoneEventSender?
    private var closed = false
    /// The caller's audio (PCM16 LE bytes at 8 kHz) for the call.
    package var onAudio: (([UInt8]) -> Void)?
    /// A key the caller pressed.
    package var onKey: ((Character) -> Void)?
    /// The line is closed: hang up the SIP call.
    package var onClose: (() -> Void)?
    /// Packets in, lost, late (the benchmark's underrun measure reads them).
    package private(set) var packetsIn = 0
    package private(set) var packetsOut = 0
    package var lostPackets: Int { jitter.lost }

    package init(socket: UDPSocket, loop: EventLoop, law: SDPAnswer.Law, telephoneEvent: UInt8?) {
        self.socket = socket
        self.loop = loop
        self.law = law
        self.telephoneEvent = telephoneEvent
        // Infallible: 8000 Hz PCM16 is one of the formats a call takes.
        wireFormat = (try? CallAudioFormat(sampleRate: 8_000, encoding: "pcm16")) ?? .voiceSocketDefault
        inbound = CallAudioInbound(format: wireFormat)
        socket.received = { [unowned self] bytes, _ in datagram(bytes) }
    }

    private func datagram(_ bytes: [UInt8]) {
        guard !closed, let packet = RTPPacket(bytes) else { return }
        packetsIn += 1
        if let telephoneEvent, packet.payloadType == telephoneEvent {
            if let event = TelephoneEvent(packet.payload), let key = keys.receive(event, timestamp: packet.timestamp) { onKey?(key) }
            return
        }
        guard packet.payloadType == law.rawValue else { return }
        for frame in jitter.insert(sequence: packet.sequence, payload: packet.payload) {
            let samples: [Int16]
            switch frame {
            case .audio(let payload): samples = law == .pcmu ? MuLaw.decode(payload) : ALaw.decode(payload)
            case .lost: samples = [Int16](repeating: 0, count: 160)
            }
            onAudio?(PCM16.littleEndianBytes(samples[...]))
        }
    }

    package func receive(_ bytes: [UInt8], at rate: Int) -> [Int16] { inbound.decode(bytes, at: rate) }

    package func configure(sampleRate: Int, encoding: String) throws(VoiceCallError) {
        throw .badStart("a SIP call's format is negotiated by SDP (G.711 at 8000 Hz)")
    }

    package func send(event: ConversationEvent) {
        Logger.shared.log(.debug, "sip", event.json)
    }

    package func send(audio frame: ArraySlice<Int16>) {
        guard !closed else { return }
        let payload = law == .pcmu ? MuLaw.encode(frame) : ALaw.encode(frame)
        let packet = sender.packet(payloadType: law.rawValue, payload: payload, samples: frame.count, now: loop.nowMilliseconds)
        socket.send(packet.bytes)
        packetsOut += 1
    }

    /// Digits an agent sends (the dtmf draft): RFC 4733 events, 100 ms each with 60 ms between,
    /// paced by a loop timer. False when the peer did not offer telephone-event.
    @discardableResult
    package func sendDigits(_ digits: String) -> Bool {
        guard let telephoneEvent, !closed else { return false }
        let out = digitsOut ?? TelephoneEventSender(loop: loop, payloadType: telephoneEvent) { [unowned self] build in
            guard !closed else { return }
            socket.send(build(&sender).bytes)
        }
        digitsOut = out
        out.enqueue(digits)
        return true
    }

    package func clearAudio() {}  // paced in real time: nothing is buffered here
    package func replyFinished(_ reply: Int) {}

    package func close() {
        guard !closed else { return }
        closed = true
        Logger.shared.log(.info, "sip", "RTP: \(packetsIn) packets in (\(jitter.lost) lost, \(jitter.late) late), \(packetsOut) out")
        digitsOut?.close()
        socket.close()
        onClose?()
        onClose = nil
        onAudio = nil
        onKey = nil
    }
}

/// Plays digits as RFC 4733 events on a 20 ms loop timer: per key five progress packets (the
/// first with the marker), then the end packet three times (RFC 4733 §2.5.1.4), then 60 ms of gap;
/// `w` waits half a second (as Twilio's `<Play digits>` does: the dtmf draft's alphabet).
final class TelephoneEventSender {
    typealias Build = (inout RTPSender) -> RTPPacket
    private let timer: LoopTimer
    private let loop: EventLoop
    private let payloadType: UInt8
    private let send: (Build) -> Void
    /// nil: a `w` pause.
    private var keys: [UInt8?] = []
    private var tick = 0
    private var timestamp: UInt32 = 0
    static let progressTicks = 5, endTicks = 3, gapTicks = 3, pauseTicks = 25

    init(loop: EventLoop, payloadType: UInt8, send: @escaping (Build) -> Void) {
        self.loop = loop
        self.payloadType = payloadType
        self.send = send
        timer = LoopTimer(loop: loop)
    }

    func enqueue(_ digits: String) {
        let wasIdle = keys.isEmpty
        for digit in digits.uppercased() {
            if digit == "W" { keys.append(nil) } else if let event = TelephoneEvent.event(for: digit) { keys.append(event) }
        }
        guard wasIdle, !keys.isEmpty else { return }
        tick = 0
        timer.start(after: 0, repeat: 20) { [weak self] in self?.step() }
    }

    private func step() {
        guard let first = keys.first else { return timer.stop() }
        guard let key = first else {
            tick += 1
            if tick == Self.pauseTicks { next() }
            return
        }
        let now = loop.nowMilliseconds
        let payloadType = self.payloadType
        if tick < Self.progressTicks + Self.endTicks {
            let first = tick == 0
            let end = tick >= Self.progressTicks
            let duration = UInt16(min(tick, Self.progressTicks - 1) + 1) * 160
            let event = TelephoneEvent(event: key, end: end, duration: duration)
            send { [self] sender in
                // Every packet of one event carries the timestamp of its start.
                if first { timestamp = sender.nextTimestamp }
                return sender.event(payloadType: payloadType, payload: event.bytes, timestamp: timestamp, marker: first, now: now)
            }
        }
        tick += 1
        if tick == Self.progressTicks + Self.endTicks + Self.gapTicks { next() }
    }

    private func next() {
        keys.removeFirst()
        tick = 0
        if keys.isEmpty { timer.stop() }
    }

    func close() { timer.close() }
}
