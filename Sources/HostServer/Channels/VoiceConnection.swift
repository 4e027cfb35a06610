import Foundation
import HostNet
import HostOrchestration
import HostTenancy
import HostSpeech
import HostVoice

/// One `/ws/voice/{caller}` socket (docs/protocol.md): binary frames are caller audio; text frames
/// are `start`, `text` and `end` messages; events go back as text frames and the agent's speech as
/// binary PCM16 frames. Loop-confined: one per accepted socket, its call and session its own.
final class VoiceConnection: WebSocketConnectionHandler, @unchecked Sendable {
    // @unchecked: every method runs on the server loop's thread (checked).
    private let server: HostServer
    private let tenant: ServedTenant
    private let caller: String
    private let voice: VoiceServices
    private let recognizer: any SpeechRecognizer
    /// From the handshake until the socket closes.
    private var call: (any VoiceChannelCall)?
    private var session: ServerSession?
    /// Typed words before the session opened wait for it; a caller gone before it opened ends it.
    private var opening = SessionOpening()
    /// A `start` asking for a greeting came before the session opened (its caller's earlier
    /// sessions were still being read): the greeting waits for it.
    private var greetingPending = false

    init(server: HostServer, tenant: ServedTenant, caller: String, voice: VoiceServices, recognizer: any SpeechRecognizer) {
        self.server = server
        self.tenant = tenant
        self.caller = caller
        self.voice = voice
        self.recognizer = recognizer
    }

    func opened(_ socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
        let line = server.phoneLine(VoiceSocketTransport(socket: socket), tenant: tenant, logsEvents: false)
        let call = server.makeCall(transport: line, tenant: tenant, voice: voice,
                                   offlineRecognizer: recognizer, realtimeFormat: .pcm16)
        self.call = call
        server.openSocketSession(socket, tenant: tenant, caller: caller, closeOnEnd: false, call: true, deliver: { call.conversationEvent($0) }) { [self] session in
            call.session = session
            session.channel = "voice"
            self.session = session
            session.perform(opening.opened())
            server.phoneSessionOpened(session, line: line, call: call, tenant: tenant)
            if !opening.gone, greetingPending {
                greetingPending = false
                call.greet()
            }
        }
    }

    /// What is wrong with a `start` message's fields, nil when nothing.
    static func startFieldProblem(_ message: [String: JSONValue]) -> String? {
        if let rate = message["sample_rate"], rate.int == nil {
            return "field 'sample_rate' must be a whole number of hertz (8000, 16000 or 24000)"
        }
        if let encoding = message["encoding"], encoding.stringValue == nil {
            return "field 'encoding' must be a string: \"pcm16\" or \"mulaw\""
        }
        if let greet = message["greet"], greet.boolValue == nil { return "field 'greet' must be true or false" }
        return nil
    }

    func received(text: String, on socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
        guard let call, let (type, message) = HostServer.socketMessage(text, on: socket) else { return }
        switch type {
        case "start":
            // A field of the wrong type is named, not read as its default (docs/protocol.md).
            if let problem = Self.startFieldProblem(message) {
                return socket.send(text: ConversationEvent.error(code: "bad_start", message: problem).json)
            }
            do throws(VoiceCallError) {
                // The transport decodes the caller's audio: the format is its business, not the call's.
                try call.transport.configure(sampleRate: message["sample_rate"]?.int ?? 16_000,
                                             encoding: message["encoding"]?.stringValue ?? "pcm16")
                if message["greet"]?.boolValue == true {
                    if call.session == nil { greetingPending = true } else { call.greet() }
                }
            } catch {
                socket.send(text: ConversationEvent.error(code: "bad_start", message: error.description).json)
            }
        case "text":
            guard let words = message["text"]?.stringValue, !words.isEmpty else { return }
            guard server.refuseOversized(words, on: socket) == false else { return }
            // Early words past the cap are dropped: a voice caller is not told to type again.
            if opening.words(words) == .send { session?.send(words) }
        case "end":
            // The call ends the open session itself, once the utterance in progress is finished.
            _ = opening.hangUp()
            call.hangUp()
        default:
            socket.send(text: ConversationEvent.error(code: "bad_message", message: "unknown message type '\(type)'").json)
        }
    }

    func received(binary: [UInt8], on socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
        call?.receive(wire: binary)
    }

    func closed(_ socket: WebSocketConnection, code: UInt16, reason: String) {
        server.loop.preconditionInLoop()
        greetingPending = false
        // The call first: it finishes an utterance the caller had spoken before the session ends.
        call?.hangUp()
        // Its transport holds the socket: let go of it, as the socket lets go of this.
        call = nil
        _ = opening.hangUp()
    }
}
