import Foundation
import HostModels
import HostNet
import Synchronization
import TestSupport

/// A RealtimeSession under test: its own loop, every callback logged as a line.
final class RealtimeProbe: Sendable {
    let loop = EventLoop(name: "realtime-probe")
    let lines = LockedBox<[String]>([])
    let audioSamples = LockedBox(0)
    let failure = LockedBox<RealtimeFailure?>(nil)
    private let box = LockedBox<RealtimeSession?>(nil)
    var session: RealtimeSession { box.value! }

    /// `onCall` answers function calls (on the loop thread); `onSpeech` runs at speech_started.
    init(configuration: RealtimeConfiguration, instructions: String = "You are a test.", tools: [RealtimeTool] = [],
         onCall: (@Sendable (RealtimeSession, RealtimeFunctionCall) -> Void)? = nil,
         onSpeech: (@Sendable (RealtimeSession) -> Void)? = nil) {
        loop.start()
        var handlers = RealtimeHandlers()
        let lines = lines, audio = audioSamples, failure = failure, box = box
        handlers.onReady = { lines.mutate { $0.append("ready") } }
        handlers.onAudio = { samples, _ in audio.mutate { $0 += samples.count } }
        handlers.onUserTranscript = { text in lines.mutate { $0.append("user:\(text)") } }
        handlers.onAgentTranscript = { text in lines.mutate { $0.append("agent:\(text)") } }
        handlers.onSpeechStarted = { _ in
            lines.mutate { $0.append("speech_started") }
            if let onSpeech, let session = box.value { onSpeech(session) }
        }
        handlers.onSpeechStopped = { _ in lines.mutate { $0.append("speech_stopped") } }
        handlers.onFunctionCall = { call in
            lines.mutate { $0.append("call:\(call.name) \(call.argumentsJSON)") }
            if let onCall, let session = box.value { onCall(session, call) }
        }
        handlers.onResponseDone = { status in lines.mutate { $0.append("done:\(status)") } }
        handlers.onServerError = { code, _ in lines.mutate { $0.append("error:\(code ?? "-")") } }
        handlers.onFailure = { reason in
            failure.value = reason
            lines.mutate { $0.append("failure:\(reason.kind)") }
        }
        let session = RealtimeSession(configuration: configuration, loop: loop, instructions: instructions, tools: tools, handlers: handlers)
        box.value = session
        session.start()
    }

    deinit {
        box.value?.close()
        loop.stop()
    }

    /// Waits (up to `seconds`) until a line satisfies `predicate`.
    @discardableResult
    func waitFor(_ seconds: Double = 5, _ predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !lines.value.contains(where: predicate) {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }

    func waitFor(line: String, seconds: Double = 5) -> Bool { waitFor(seconds) { $0 == line } }

    /// Speaks: `speechMs` of a loud 300 Hz tone then `silenceMs` of silence, in 20 ms appends.
    func speak(speechMs: Int = 400, silenceMs: Int = 700, pcmu: Bool = false) {
        let rate = pcmu ? 8000 : 24000
        let frame = rate / 50
        let total = rate * (speechMs + silenceMs) / 1000
        let loud = rate * speechMs / 1000
        for start in stride(from: 0, to: total, by: frame) {
            let samples = (start..<(start + frame)).map { index -> Int16 in
                index < loud ? Int16(6000 * sin(2 * Double.pi * 300 * Double(index) / Double(rate))) : 0
            }
            if pcmu {
                session.appendMuLaw(samples.map(TestMuLaw.encode))
            } else {
                session.appendAudio(samples)
            }
        }
    }
}

enum TestMuLaw {
    static func encode(_ sample: Int16) -> UInt8 {
        let sign: UInt8 = sample < 0 ? 0x80 : 0
        let magnitude = min(Int(sample.magnitude), 32635) + 0x84
        var exponent = 7
        while exponent > 0, magnitude & (0x4000 >> (7 - exponent)) == 0 { exponent -= 1 }
        return ~(sign | UInt8(exponent) << 4 | UInt8((magnitude >> (exponent + 3)) & 0x0F))
    }
}

/// A loopback port nobody listens on.
func unusedPort() -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
