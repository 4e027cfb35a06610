import Foundation
import HostAudio
import HostNet
import HostOrchestration
import HostSpeech
import HostTenancy
import HostVoice

extension HostServer {
    /// The voice channel: binary frames are caller audio; text frames are `start`, `text` and `end`
    /// messages; events go back as text frames and the agent's speech as binary PCM16 frames.
    func voiceSocket(tenant: ServedTenant, caller: String, voice: VoiceServices, recognizer: any SpeechRecognizer) -> WebSocketHandler {
        let calls = SocketMap<any VoiceChannelCall>()
        // A `start` asking for a greeting can arrive before the session has opened (its earlier
        // sessions are still being read): the greeting waits for it.
        let greetings = SocketMap<Bool>()
        // Typed words before the session opened wait for it; a caller gone before it opened ends it.
        let state = SocketSession()
        return WebSocketHandler(
            onOpen: { [self] socket in
                let line = phoneLine(VoiceSocketTransport(socket: socket), tenant: tenant, logsEvents: false)
                let call = makeCall(transport: line, tenant: tenant, voice: voice,
                                    offlineRecognizer: recognizer, realtimeFormat: .pcm16)
                calls.set(socket, call)
                openSocketSession(socket, tenant: tenant, caller: caller, closeOnEnd: false, deliver: { call.conversationEvent($0) }) { session in
                    call.session = session
                    session.channel = "voice"
                    state.opened(session)
                    self.phoneSessionOpened(session, line: line, call: call, tenant: tenant)
                    if !state.gone, greetings.remove(socket) == true { call.greet() }
                }
            },
            onText: { [self] socket, text in
                guard let call = calls.get(socket), let (type, message) = Self.socketMessage(text, on: socket) else { return }
                switch type {
                case "start":
                    do throws(VoiceCallError) {
                        // The transport decodes the caller's audio: the format is its business, not the call's.
                        try call.transport.configure(sampleRate: message["sample_rate"] as? Int ?? 16_000,
                                                     encoding: message["encoding"] as? String ?? "pcm16")
                        if message["greet"] as? Bool == true {
                            if call.session == nil { greetings.set(socket, true) } else { call.greet() }
                        }
                    } catch {
                        socket.send(text: ConversationEvent.error(code: "bad_start", message: error.description).json)
                    }
                case "text":
                    guard let words = message["text"] as? String, !words.isEmpty else { return }
                    guard refuseOversized(words, on: socket) == false else { return }
                    _ = state.send(words)
                case "end":
                    state.hangUp(endingOpenSession: false)
                    call.hangUp()
                default:
                    socket.send(text: ConversationEvent.error(code: "bad_message", message: "unknown message type '\(type)'").json)
                }
            },
            onBinary: { socket, bytes in calls.get(socket)?.receive(wire: bytes) },
            onClose: { socket, _, _ in
                _ = greetings.remove(socket)
                // The call first: it finishes an utterance the caller had spoken before the session ends.
                calls.remove(socket)?.hangUp()
                state.hangUp(endingOpenSession: false)
            })
    }
}
