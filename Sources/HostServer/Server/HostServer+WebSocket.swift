import Foundation
import HostNet
import HostOrchestration
import HostTenancy

extension HostServer {
    /// Decides a WebSocket handshake (loop thread, synchronous): `/ws/chat/{caller}` with the
    /// tenant's key is accepted when the limits admit a session; anything else is refused with
    /// the same status and sentence an HTTP request would get.
    func upgrade(_ request: HTTPRequest) -> WebSocketRoute {
        loop.preconditionInLoop()
        if request.path == "/twilio/media" {
            // Tenant, key and caller come with Twilio's `start` message (it cannot set headers).
            guard voice != nil else { return .reject(ServerResponses.error(503, "voice is not enabled on this host")) }
            if let refusal = twilioHandshakeRefusal(request) { return .reject(refusal) }
            return .accept(twilioSocket(request))
        }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0] == "ws", parts[1] == "chat" || parts[1] == "voice",
              let caller = String(parts[2]).removingPercentEncoding
        else { return .reject(ServerResponses.error(404, "no WebSocket endpoint at \(request.path): use /ws/chat/{caller}, /ws/voice/{caller} or /twilio/media")) }
        if let problem = CallerInput.callerProblem(caller) { return .reject(ServerResponses.error(400, "the {caller} in \(parts[0])/\(parts[1])/{caller}: \(problem)")) }
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
        return .accept(chatSocket(tenant: tenant, caller: caller, resuming: request.query("session_id")))
    }

    /// The chat channel: client sends {"type":"text","text":...} and {"type":"end"}; every event
    /// goes back as a text frame; the socket closes (1000) after the session's `end`. Words typed
    /// before the session has opened wait for it; a socket that goes away at any point of opening
    /// ends its session as soon as it exists; an idle session ends with `timeout` as over HTTP.
    /// `resuming`: `?session_id=` — continue that conversation from its checkpoint (its host is gone).
    private func chatSocket(tenant: ServedTenant, caller: String, resuming: String? = nil) -> WebSocketHandler {
        let state = SocketSession()
        return WebSocketHandler(
            onOpen: { [self] socket in
                if let resuming {
                    return resumeSocketSession(socket, tenant: tenant, caller: caller, sessionID: resuming,
                                               deliver: { socket.send(text: $0.json) }) { state.opened($0) }
                }
                openSocketSession(socket, tenant: tenant, caller: caller, idleMilliseconds: settings.sessionIdleMilliseconds,
                                  checkpointed: true, deliver: { socket.send(text: $0.json) }) { session in
                    session.channel = "chat"
                    state.opened(session)
                }
            },
            onText: { [self] socket, text in
                guard let (type, message) = Self.socketMessage(text, on: socket) else { return }
                switch type {
                case "text":
                    guard let words = message["text"] as? String, !words.trimmingCharacters(in: .whitespaces).isEmpty else {
                        return socket.send(text: ConversationEvent.error(code: "bad_message", message: "a text message needs a non-empty \"text\"").json)
                    }
                    guard refuseOversized(words, on: socket) == false else { return state.hangUp() }
                    if !state.send(words) {
                        socket.send(text: ConversationEvent.error(code: "busy", message: "too many messages before the session opened; send again in a moment").json)
                    }
                case "end":
                    state.hangUp()
                default:
                    socket.send(text: ConversationEvent.error(code: "bad_message", message: "unknown message type '\(type)'").json)
                }
            },
            onBinary: { socket, _ in
                socket.send(text: ConversationEvent.error(code: "bad_message", message: "the chat channel takes JSON text frames; audio goes to /ws/voice").json)
            },
            onClose: { _, _, _ in
                // The caller went away: the session ends (now, or as soon as it has opened) and is persisted like any other.
                state.hangUp()
            })
    }

    /// Typed text over the byte limit: an error event, then close 1009 (message too big).
    func refuseOversized(_ text: String, on socket: WebSocketConnection) -> Bool {
        guard let problem = CallerInput.textProblem(text, limit: settings.maxTurnTextBytes) else { return false }
        services.metrics.increment("agent_host_errors_total", labels: ["kind": "input_too_large"])
        socket.send(text: ConversationEvent.error(code: "too_large", message: problem).json)
        socket.close(code: WebSocketCloseCode.messageTooBig, reason: "turn text too large")
        return true
    }

    /// Opens the session a socket drives (chat or voice): its events go to `deliver`, and the
    /// socket closes (1000) after `end` (voice calls close it themselves, after the last words play). A session the handshake admitted but that is refused now
    /// (a race with another session of the caller) gets an error event and close 1013.
    func openSocketSession(_ socket: WebSocketConnection, tenant: ServedTenant, caller: String, closeOnEnd: Bool = true,
                           idleMilliseconds: UInt64 = 0, checkpointed: Bool = false,
                           deliver: @escaping @Sendable (ConversationEvent) -> Void,
                           opened: @escaping @Sendable (ServerSession) -> Void) {
        openSession(tenant: tenant, caller: caller, idleMilliseconds: idleMilliseconds, forward: { event in
            deliver(event)
            if closeOnEnd, event.type == "end" { socket.close(code: 1000, reason: "session ended") }
        }, checkpointed: checkpointed) { result in
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

/// One socket's session while it opens and after (loop thread only): the session once open, what
/// the caller sent before that, and whether the caller already left. The session is registered
/// (and counts against the caller's limit) from the handshake on, but exists only once the
/// caller's earlier sessions are read: a socket that goes away in between must still end it, or
/// it would live forever.
final class SocketSession: @unchecked Sendable {
    // @unchecked: used only on the server loop's thread.
    /// Messages kept for a session still opening (the read of earlier sessions takes ≤ 500 ms).
    static let maxEarlyMessages = 32

    private(set) var session: ServerSession?
    private var early: [String] = []
    private(set) var gone = false

    /// The session exists: the early words go in, in order — or it ends at once if the caller left.
    func opened(_ session: ServerSession) {
        self.session = session
        if gone { return session.end(reason: "caller_hangup") }
        for text in early { session.send(text) }
        early.removeAll()
    }

    /// The caller's words: to the session, or kept until it opens; false when too many are waiting.
    func send(_ text: String) -> Bool {
        guard !gone else { return true }
        if let session {
            session.send(text)
            return true
        }
        guard early.count < Self.maxEarlyMessages else { return false }
        early.append(text)
        return true
    }

    /// The caller hung up or the socket went away. `endingOpenSession: false` when something
    /// else ends an open session (a voice call first finishes the utterance in progress).
    func hangUp(endingOpenSession: Bool = true) {
        guard !gone else { return }
        gone = true
        early.removeAll()
        if endingOpenSession { session?.end(reason: "caller_hangup") }
    }
}
