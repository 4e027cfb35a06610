import Foundation
import HostNet
import HostOrchestration
import HostTenancy

/// One `/ws/chat/{caller}` socket (docs/protocol.md): the client sends {"type":"text","text":...}
/// and {"type":"end"}; every event goes back as a text frame; the socket closes (1000) after the
/// session's `end`. Words typed before the session has opened wait for it; a socket that goes
/// away at any point of opening ends its session as soon as it exists; an idle session ends with
/// `timeout` as over HTTP. Loop-confined: one per accepted socket, its state its own.
final class ChatConnection: WebSocketConnectionHandler, @unchecked Sendable {
    // @unchecked: every method runs on the server loop's thread (checked).
    private let server: HostServer
    private let tenant: ServedTenant
    private let caller: String
    /// `?session_id=`: continue that conversation from its checkpoint (its host is gone).
    private let resuming: String?
    private var session: ServerSession?
    private var opening = SessionOpening()

    init(server: HostServer, tenant: ServedTenant, caller: String, resuming: String?) {
        self.server = server
        self.tenant = tenant
        self.caller = caller
        self.resuming = resuming
    }

    func opened(_ socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
        let deliver: @Sendable (ConversationEvent) -> Void = { socket.send(text: $0.json) }
        if let resuming {
            return server.resumeSocketSession(socket, tenant: tenant, caller: caller, sessionID: resuming,
                                              deliver: deliver) { [self] in sessionOpened($0) }
        }
        server.openSocketSession(socket, tenant: tenant, caller: caller, idleMilliseconds: server.settings.sessionIdleMilliseconds,
                                 checkpointed: true, deliver: deliver) { [self] session in
            session.channel = "chat"
            sessionOpened(session)
        }
    }

    func received(text: String, on socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
        guard let (type, message) = HostServer.socketMessage(text, on: socket) else { return }
        switch type {
        case "text":
            guard let words = message["text"]?.stringValue, !CallerInput.isBlank(words) else {
                return socket.send(text: ConversationEvent.error(code: "bad_message", message: "a text message needs a non-empty \"text\"").json)
            }
            guard server.refuseOversized(words, on: socket) == false else { return hangUp() }
            switch opening.words(words) {
            case .send: session?.send(words)
            case .kept, .ignored: break
            case .refused:
                socket.send(text: ConversationEvent.error(code: "busy", message: "too many messages before the session opened; send again in a moment").json)
            }
        case "end":
            hangUp()
        default:
            socket.send(text: ConversationEvent.error(code: "bad_message", message: "unknown message type '\(type)'").json)
        }
    }

    func received(binary: [UInt8], on socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
        socket.send(text: ConversationEvent.error(code: "bad_message", message: "the chat channel takes JSON text frames; audio goes to /ws/voice").json)
    }

    func closed(_ socket: WebSocketConnection, code: UInt16, reason: String) {
        server.loop.preconditionInLoop()
        // The caller went away: the session ends (now, or as soon as it has opened) and is persisted like any other.
        hangUp()
    }

    private func sessionOpened(_ session: ServerSession) {
        self.session = session
        session.perform(opening.opened())
    }

    private func hangUp() {
        if opening.hangUp() { session?.end(reason: "caller_hangup") }
    }
}
