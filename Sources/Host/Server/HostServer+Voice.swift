import Foundation
import HostAudio
import HostNet
import HostSpeech

extension HostServer {
    /// The voice channel: binary frames are caller audio; text frames are `start`, `text` and `end`
    /// messages; events go back as text frames and the agent's speech as binary PCM16 frames.
    func voiceSocket(tenant: ServedTenant, caller: String, voice: VoiceServices, recognizer: any SpeechRecognizer) -> WebSocketHandler {
        let calls = VoiceCalls()
        return WebSocketHandler(
            onOpen: { [self] socket in
                let call = VoiceCall(socket: socket, loop: loop, voice: voice, recognizer: recognizer, turnDetection: TurnDetectionSettings())
                calls.set(socket, call)
                openSession(tenant: tenant, caller: caller, forward: { event in
                    call.conversationEvent(event)
                    if event.type == "end" { socket.close(code: 1000, reason: "session ended") }
                }) { result in
                    switch result {
                    case .failure(let rejection):
                        socket.send(text: ConversationEvent.error(code: "refused", message: String(decoding: rejection.response.body, as: UTF8.self)).json)
                        socket.close(code: 1013, reason: "try again later")
                    case .success(let session):
                        call.session = session
                    }
                }
            },
            onText: { socket, text in
                guard let call = calls.get(socket) else { return }
                guard let message = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                      let type = message["type"] as? String else {
                    return socket.send(text: ConversationEvent.error(code: "bad_message", message: "expected a JSON message with a \"type\"").json)
                }
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

/// Which call each voice socket carries (loop thread only).
final class VoiceCalls: @unchecked Sendable {
    // @unchecked: used only on the server loop's thread.
    private var calls: [ObjectIdentifier: VoiceCall] = [:]

    func set(_ socket: WebSocketConnection, _ call: VoiceCall) { calls[ObjectIdentifier(socket)] = call }
    func get(_ socket: WebSocketConnection) -> VoiceCall? { calls[ObjectIdentifier(socket)] }
    func remove(_ socket: WebSocketConnection) -> VoiceCall? { calls.removeValue(forKey: ObjectIdentifier(socket)) }
}
