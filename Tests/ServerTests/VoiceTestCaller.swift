import Foundation
import HostAudio
import HostNet
import HostSpeech
import TestSupport

/// A test's caller on a voice socket: streams audio in real time while a reader thread records
/// every message with the moment it arrived, so tests can assert on timing (barge-in) as well as
/// content. Works for `/ws/voice` (binary PCM16 frames) and `/twilio/media` (JSON media messages).
final class VoiceTestCaller: @unchecked Sendable {
    // @unchecked: `socket` is thread-safe for send; the log is behind a lock.
    struct Received: Sendable {
        let at: ContinuousClock.Instant
        let message: BlockingWebSocket.Message

        var json: [String: Any]? {
            guard case .text(let text) = message else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        }
        var isAudio: Bool { if case .binary = message { true } else { false } }
    }

    let socket: BlockingWebSocket
    private let log = LockedBox<[Received]>([])
    private let finished = LockedBox(false)
    let clock = ContinuousClock()

    /// `headers`: sent with the handshake (Twilio's `X-Twilio-Signature`, TwilioTestSignature).
    init(url: String, headers: HTTPHeaders = [:]) throws {
        socket = try BlockingWebSocket(url: url, headers: headers)
        let thread = Thread { [socket, log, finished, clock] in
            while true {
                guard let message = socket.receive(timeoutSeconds: 0.2) else {
                    if finished.value { return }
                    continue
                }
                log.mutate { $0.append(Received(at: clock.now, message: message)) }
                if case .closed = message { return }
            }
        }
        thread.start()
    }

    deinit { finished.value = true }

    var received: [Received] { log.value }
    var events: [[String: Any]] { received.compactMap(\.json) }
    var eventTypes: [String] { events.compactMap { $0["type"] as? String } }

    /// Sends `frames` one per 20 ms, in real time; returns when each was sent.
    @discardableResult
    func stream(_ frames: [[UInt8]], as encode: ([UInt8]) -> BlockingWebSocket.Message = { .binary($0) }) async throws -> [ContinuousClock.Instant] {
        var sent: [ContinuousClock.Instant] = []
        let start = clock.now
        for (index, frame) in frames.enumerated() {
            switch encode(frame) {
            case .text(let text): socket.send(text: text)
            case .binary(let bytes): socket.send(binary: bytes)
            case .closed: break
            }
            sent.append(clock.now)
            try await clock.sleep(until: start + .milliseconds(20 * (index + 1)))
        }
        return sent
    }

    /// Waits until `condition` holds for what was received (or `seconds` pass); returns whether it did.
    @discardableResult
    func wait(seconds: Double = 20, until condition: ([Received]) -> Bool) async throws -> Bool {
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        while clock.now < deadline {
            if condition(received) { return true }
            try await clock.sleep(for: .milliseconds(20))
        }
        return condition(received)
    }

    func close() {
        finished.value = true
        _ = socket.close(timeoutSeconds: 2)
    }

    // MARK: audio helpers

    /// `samples` (16 kHz) as 20 ms PCM16 frames.
    static func pcmFrames(_ samples: [Int16]) -> [[UInt8]] {
        stride(from: 0, to: samples.count, by: 320).map { offset in
            PCM16.littleEndianBytes(samples[offset..<min(samples.count, offset + 320)])
        }
    }

    /// `samples` (16 kHz) as 20 ms mu-law 8 kHz frames (160 bytes), as a phone line carries them.
    static func muLawFrames(_ samples: [Int16]) throws -> [[UInt8]] {
        let resampler = try Resampler(inputRate: 16_000, outputRate: 8_000)
        let narrow = resampler.process(samples) + resampler.flush()
        let bytes = MuLaw.encode(narrow)
        return stride(from: 0, to: bytes.count, by: 160).map { Array(bytes[$0..<min(bytes.count, $0 + 160)]) }
    }

    static func silence(milliseconds: Int) -> [Int16] { [Int16](repeating: 0, count: milliseconds * 16) }

    /// A caller's sentence, spoken by flite at 16 kHz.
    static func speech(_ text: String) async throws -> [Int16] {
        try await FliteSynthesizer().synthesizeAll(text: text).samples
    }
}
