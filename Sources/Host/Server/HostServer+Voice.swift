import Foundation
import HostAudio
import HostNet
import HostSpeech

extension HostServer {
    /// The voice channel: binary frames are caller audio; text frames are `start`, `text` and `end`
    /// messages; events go back as text frames and the agent's speech as binary PCM16 frames.
    func voiceSocket(tenant: ServedTenant, caller: String, voice: VoiceServices, recognizer: any SpeechRecognizer) -> WebSocketHandler {
        let calls = SocketMap<VoiceCall>()
        return WebSocketHandler(
            onOpen: { [self] socket in
                let call = VoiceCall(socket: socket, loop: loop, voice: voice, recognizer: recognizer, turnDetection: TurnDetectionSettings())
                calls.set(socket, call)
                openSocketSession(socket, tenant: tenant, caller: caller, deliver: { call.conversationEvent($0) }) { session in
                    call.session = session
                }
            },
            onText: { socket, text in
                guard let call = calls.get(socket), let (type, message) = Self.socketMessage(text, on: socket) else { return }
                switch type {
                case "start":
                    if let problem = call.configure(sampleRate: message["sample_rate"] as? Int ?? 16_000,
                                                    encoding: message["encoding"] as? String ?? "pcm16") {
                        socket.send(text: ConversationEvent.error(code: "bad_start", message: problem).json)
                    }
                case "text":
                    if let words = message["text"] as? String, !words.isEmpty { call.session?.send(words) }
                case "end":
                    call.session?.end(reason: "caller_hangup")
                default:
                    socket.send(text: ConversationEvent.error(code: "bad_message", message: "unknown message type '\(type)'").json)
                }
            },
            onBinary: { socket, bytes in calls.get(socket)?.audio(bytes) },
            onClose: { socket, _, _ in
                guard let call = calls.remove(socket) else { return }
                call.close()
                call.session?.end(reason: "caller_hangup")
            })
    }
}
