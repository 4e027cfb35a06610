import Foundation
import HostNet
import HostOrchestration
import HostTenancy

extension HostServer {
    /// Decides a WebSocket handshake (loop thread, synchronous): `/ws/chat/{caller}` with the
    /// tenant's key is accepted when the limits admit a session; anything else is refused with
    /// the same status and sentence an HTTP request would get. Each accepted socket is served by
    /// its own connection object (ChatConnection, VoiceConnection, TwilioMediaConnection).
    func upgrade(_ request: HTTPRequest) -> WebSocketRoute {
        loop.preconditionInLoop()
        if request.path == "/twilio/media" {
            // Tenant, key and caller come with Twilio's `start` message (it cannot set headers).
            guard voice != nil else { return .reject(ServerResponses.error(503, "voice is not enabled on this host")) }
            if let refusal = twilioHandshakeRefusal(request) { return .reject(refusal) }
            return .accept(WebSocketHandler(serving: TwilioMediaConnection(server: self, request: request)))
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
            return .accept(WebSocketHandler(serving: VoiceConnection(server: self, tenant: tenant, caller: caller, voice: voice, recognizer: recognizer)))
        }
        return .accept(WebSocketHandler(serving: ChatConnection(server: self, tenant: tenant, caller: caller, resuming: request.query("session_id"))))
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
                           idleMilliseconds: UInt64 = 0, checkpointed: Bool = false, call: Bool = false,
                           deliver: @escaping @Sendable (ConversationEvent) -> Void,
                           opened: @escaping @Sendable (ServerSession) -> Void) {
        openSession(tenant: tenant, caller: caller, idleMilliseconds: idleMilliseconds, forward: { event in
            // Moved to another host at the drain deadline (HostServer+HandOver.swift): not an end.
            if Self.closedForHandOver(event, socket: socket) { return }
            deliver(event)
            if closeOnEnd, event.type == "end" { socket.close(code: 1000, reason: "session ended") }
        }, checkpointed: checkpointed, call: call) { result in
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
    /// The shared parser, not JSONSerialization (Foundation's is the dearer on Linux; every
    /// message of every socket comes here).
    static func socketMessage(_ text: String, on socket: WebSocketConnection) -> (String, [String: JSONValue])? {
        guard case .object(let message)? = try? JSONValue.parse(text), let type = message["type"]?.stringValue else {
            socket.send(text: ConversationEvent.error(code: "bad_message", message: "expected a JSON object with a \"type\", e.g. {\"type\":\"text\",\"text\":\"...\"} or {\"type\":\"end\"}").json)
            return nil
        }
        return (type, message)
    }
}
