import Foundation
import HostNet

extension HostServer {
    /// Decides a WebSocket handshake (loop thread, synchronous): `/ws/chat/{caller}` with the
    /// tenant's key is accepted when the limits admit a session; anything else is refused with
    /// the same status and sentence an HTTP request would get.
    func upgrade(_ request: HTTPRequest) -> WebSocketRoute {
        if request.path == "/twilio/media" {
            // Tenant, key and caller come with Twilio's `start` message (it cannot set headers).
            guard voice != nil else { return .reject(ServerResponses.error(503, "voice is not enabled on this host")) }
            return .accept(twilioSocket(request))
        }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0] == "ws", parts[1] == "chat" || parts[1] == "voice",
              let caller = String(parts[2]).removingPercentEncoding, !caller.isEmpty, caller.count <= 64
        else { return .reject(ServerResponses.error(404, "no WebSocket endpoint at \(request.path): use /ws/chat/{caller}, /ws/voice/{caller} or /twilio/media")) }
        let tenant: ServedTenant
        switch resolveTenant(request, bodyTenant: nil) {
        case .failure(let rejection): return .reject(rejection.response)
        case .success(let resolved): tenant = resolved
        }
        if let refusal = registry.admit(tenant: tenant, caller: caller) {
            return .reject(ServerResponses.error(refusal.status, refusal.message))
        }
        if parts[1] == "voice" {
            guard let voice, let recognizer = voice.recognizers[tenant.id] else {
                return .reject(ServerResponses.error(503, "voice is not enabled on this host for tenant '\(tenant.id)'"))
            }
            return .accept(voiceSocket(tenant: tenant, caller: caller, voice: voice, recognizer: recognizer))
        }
        return .accept(chatSocket(tenant: tenant, caller: caller))
    }

    /// The chat channel: client sends {"type":"text","text":...} and {"type":"end"}; every event
    /// goes back as a text frame; the socket closes (1000) after the session's `end`.
    private func chatSocket(tenant: ServedTenant, caller: String) -> WebSocketHandler {
        let sessions = SocketMap<ServerSession>()
        return WebSocketHandler(
            onOpen: { [self] socket in
                openSocketSession(socket, tenant: tenant, caller: caller, deliver: { socket.send(text: $0.json) }) { session in
                    sessions.set(socket, session)
                }
            },
            onText: { socket, text in
                guard let session = sessions.get(socket), let (type, message) = Self.socketMessage(text, on: socket) else { return }
                switch type {
                case "text":
                    guard let words = message["text"] as? String, !words.trimmingCharacters(in: .whitespaces).isEmpty else {
                        return socket.send(text: ConversationEvent.error(code: "bad_message", message: "a text message needs a non-empty \"text\"").json)
                    }
                    session.send(words)
                case "end":
                    session.end(reason: "caller_hangup")
                default:
                    socket.send(text: ConversationEvent.error(code: "bad_message", message: "unknown message type '\(type)'").json)
                }
            },
            onBinary: { socket, _ in
                socket.send(text: ConversationEvent.error(code: "bad_message", message: "the chat channel takes JSON text frames; audio goes to /ws/voice").json)
            },
            onClose: { socket, _, _ in
                // The caller went away: the session ends and is persisted like any other.
                sessions.remove(socket)?.end(reason: "caller_hangup")
            })
    }

    /// Opens the session a socket drives (chat or voice): its events go to `deliver`, and the
    /// socket closes (1000) after `end` (voice calls close it themselves, after the last words play). A session the handshake admitted but that is refused now
    /// (a race with another session of the caller) gets an error event and close 1013.
    func openSocketSession(_ socket: WebSocketConnection, tenant: ServedTenant, caller: String, closeOnEnd: Bool = true,
                           deliver: @escaping @Sendable (ConversationEvent) -> Void,
                           opened: @escaping @Sendable (ServerSession) -> Void) {
        openSession(tenant: tenant, caller: caller, forward: { event in
            deliver(event)
            if closeOnEnd, event.type == "end" { socket.close(code: 1000, reason: "session ended") }
        }) { result in
            switch result {
            case .failure(let rejection):
                socket.send(text: ConversationEvent.error(code: "refused", message: String(decoding: rejection.response.body, as: UTF8.self)).json)
                socket.close(code: 1013, reason: "try again later")
            case .success(let session):
                opened(session)
            }
        }
    }

    /// A client's JSON message and its "type"; anything else gets a `bad_message` error event.
    static func socketMessage(_ text: String, on socket: WebSocketConnection) -> (String, [String: Any])? {
        guard let message = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let type = message["type"] as? String else {
            socket.send(text: ConversationEvent.error(code: "bad_message", message: "expected a JSON object with a \"type\", e.g. {\"type\":\"text\",\"text\":\"...\"} or {\"type\":\"end\"}").json)
            return nil
        }
        return (type, message)
    }
}

/// What each socket drives (its session, its call), keyed by socket. Loop thread only.
final class SocketMap<Value>: @unchecked Sendable {
    // @unchecked: used only on the server loop's thread.
    private var values: [ObjectIdentifier: Value] = [:]

    func set(_ socket: WebSocketConnection, _ value: Value) { values[ObjectIdentifier(socket)] = value }
    func get(_ socket: WebSocketConnection) -> Value? { values[ObjectIdentifier(socket)] }
    func remove(_ socket: WebSocketConnection) -> Value? { values.removeValue(forKey: ObjectIdentifier(socket)) }
}
