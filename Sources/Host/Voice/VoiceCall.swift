import Foundation
import HostAudio
import HostNet
import HostSpeech

/// One call on `WS /ws/voice/{caller}`: caller audio in (PCM16 or mu-law at 8/16/24 kHz, frames of
/// any size), server VAD on 20 ms frames, the utterance recognised on the recogniser's own queue,
/// the text into the same orchestration as chat, the agent's replies synthesised off the loop and
/// sent back in 20 ms frames paced by a loop timer; caller speech during playback interrupts it.
/// Loop-confined: every method runs on the server loop's thread.
final class VoiceCall: @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread (engine callbacks hop back via execute).
    let socket: WebSocketConnection
    let loop: EventLoop
    let voice: VoiceServices
    let recognizer: any SpeechRecognizer
    var session: ServerSession?
    private var sampleRate = 16_000
    private var mulaw = false
    private var decoder = PCM16Decoder()
    private var inbound: Resampler?
    private var reframer = Reframer(sampleRate: 16_000)
    private var detector: TurnDetector
    private var recognition: RecognitionSession
    private var outbound: Resampler?
    /// Agent audio not yet sent; `played` counts what the pacer already sent from its front
    /// (compacted once it passes the halfway mark, so each tick is O(frame), not O(reply)).
    private var playback: [Int16] = []
    private var played = 0
    private var pacer: LoopTimer?
    private var synthesis: SynthesisJob?
    private var started = false

    init(socket: WebSocketConnection, loop: EventLoop, voice: VoiceServices, recognizer: any SpeechRecognizer, turnDetection: TurnDetectionSettings) {
        self.socket = socket
        self.loop = loop
        self.voice = voice
        self.recognizer = recognizer
        detector = TurnDetector(settings: turnDetection, sampleRate: 16_000)
        recognition = recognizer.makeSession()
    }

    /// `{"type":"start","sample_rate":8000|16000|24000,"encoding":"pcm16"|"mulaw"}` before any audio.
    func configure(sampleRate: Int, encoding: String) -> String? {
        guard !started else { return "start must come before any audio" }
        guard [8_000, 16_000, 24_000].contains(sampleRate) else { return "sample_rate must be 8000, 16000 or 24000" }
        guard encoding == "pcm16" || encoding == "mulaw" else { return "encoding must be pcm16 or mulaw" }
        self.sampleRate = sampleRate
        mulaw = encoding == "mulaw"
        return nil
    }

    /// Caller audio: decode, bring to 16 kHz, cut into 20 ms frames, run the turn detector.
    func audio(_ bytes: [UInt8]) {
        if !started {
            started = true
            if sampleRate != 16_000 {
                inbound = try? Resampler(inputRate: sampleRate, outputRate: 16_000)
                outbound = try? Resampler(inputRate: 16_000, outputRate: sampleRate)
            }
        }
        let samples = mulaw ? MuLaw.decode(bytes) : decoder.decode(bytes)
        let at16k = inbound?.process(samples) ?? samples
        for frame in reframer.frames(appending: at16k) {
            guard let event = detector.process(frame) else { continue }
            switch event {
            case .speechStarted(let at):
                send(.speechStarted(atMilliseconds: at))
                if played < playback.count || synthesis != nil { interrupt(at: at) }
            case .speechStopped(let at, let utterance):
                send(.speechStopped(atMilliseconds: at))
                recognize(utterance)
            }
        }
    }

    private func recognize(_ utterance: [Int16]) {
        recognition.accept(samples: utterance)
        recognition.finish { [self] result in
            loop.execute { [self] in
                guard case .success(let transcript) = result, !transcript.isEmpty else { return }
                session?.send(transcript.text)
            }
        }
    }

    /// An event of the conversation: to the caller as text, and agent words as speech.
    func conversationEvent(_ event: ConversationEvent) {
        socket.send(text: event.json)
        if case .agent(_, let text) = event { speak(text) }
    }

    private func speak(_ text: String) {
        let job = voice.synthesizer.synthesize(text: text, voice: nil) { [self] event in
            loop.execute { [self] in
                switch event {
                case .audio(let chunk):
                    playback.append(contentsOf: outbound?.process(chunk.samples) ?? chunk.samples)
                    startPacing()
                case .finished, .cancelled, .failed:
                    synthesis = nil
                case .sentenceFinished:
                    break
                }
            }
        }
        synthesis = job
    }

    /// Sends one 20 ms frame per tick, in real time, while there is audio to play.
    private func startPacing() {
        guard pacer == nil else { return }
        let timer = LoopTimer(loop: loop)
        pacer = timer
        let frame = sampleRate / 50
        timer.start(after: 0, repeat: 20) { [self] in
            guard played < playback.count else {
                timer.close()
                pacer = nil
                playback.removeAll(keepingCapacity: true)
                played = 0
                return
            }
            let end = min(played + frame, playback.count)
            socket.send(binary: PCM16.littleEndianBytes(playback[played..<end]))
            played = end
            if played > playback.count / 2 {
                playback.removeFirst(played)
                played = 0
            }
        }
    }

    /// Barge-in: stop synthesis, drop queued audio, tell the client.
    private func interrupt(at milliseconds: Int) {
        synthesis?.cancel()
        synthesis = nil
        playback.removeAll()
        played = 0
        pacer?.close()
        pacer = nil
        send(.interrupted(atMilliseconds: milliseconds))
    }

    private func send(_ event: ConversationEvent) {
        socket.send(text: event.json)
    }

    func close() {
        synthesis?.cancel()
        pacer?.close()
        pacer = nil
        recognition.close()
    }
}
