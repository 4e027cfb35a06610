import Foundation
import HostNet

extension HostServer {
    /// Routes one request (loop thread). Every error is a JSON body that says what is wrong.
    func route(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        switch (request.method, request.path) {
        case ("GET", "/health"): respond(health())
        case ("GET", "/ready"): respond(readiness())
        case ("GET", "/metrics"):
            respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4"], body: Array(services.metrics.render().utf8)))
        case ("POST", "/v1/chat"): chat(request, respond)
        case (_, "/health"), (_, "/ready"), (_, "/metrics"), (_, "/v1/chat"):
            respond(ServerResponses.error(405, "\(request.method) is not allowed on \(request.path)"))
        default:
            respond(ServerResponses.error(404, "no such endpoint: \(request.path)"))
        }
    }

    /// POST /v1/chat {"caller","text","session_id"?,"tenant"?} → {"session_id","agent","events"}.
    func chat(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            return respond(ServerResponses.error(400, "the body must be a JSON object: {\"caller\":\"+15551234567\",\"text\":\"...\"}"))
        }
        guard let text = body["text"] as? String, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            return respond(ServerResponses.error(400, "field 'text' is required and must be a non-empty string"))
        }
        let caller = body["caller"] as? String
        let sessionID = body["session_id"] as? String
        if body["session_id"] != nil && sessionID == nil { return respond(ServerResponses.error(400, "field 'session_id' must be a string")) }
        if body["tenant"] != nil && !(body["tenant"] is String) { return respond(ServerResponses.error(400, "field 'tenant' must be a string")) }
        let tenant: ServedTenant
        switch resolveTenant(request, bodyTenant: body["tenant"] as? String) {
        case .failure(let rejection): return respond(rejection.response)
        case .success(let resolved): tenant = resolved
        }
        let reply: @Sendable ([ConversationEvent], ServerSession) -> Void = { events, session in
            let agent = session.conversation.map { $0.tenant.agents[$0.currentAgentID]?.name ?? "" } ?? ""
            respond(ServerResponses.json(200, "{\"session_id\":\(JSONText.quote(session.id)),\"agent\":\(JSONText.quote(agent)),\"events\":\(ServerResponses.events(events))}"))
        }
        if let sessionID {
            guard let session = registry.session(sessionID), session.tenantID == tenant.id, !session.ended else {
                return respond(ServerResponses.error(404, "no live session '\(sessionID)' for tenant '\(tenant.id)': start a new one without session_id"))
            }
            guard !session.turnInProgress else {
                return respond(ServerResponses.error(409, "a turn is already in progress for session '\(sessionID)'"))
            }
            return session.runTurn(text) { reply($0, session) }
        }
        guard let caller, !caller.isEmpty, caller.count <= 64 else {
            return respond(ServerResponses.error(400, "field 'caller' is required for a new session (a phone number or chat id, at most 64 characters)"))
        }
        openSession(tenant: tenant, caller: caller) { result in
            switch result {
            case .failure(let rejection): respond(rejection.response)
            case .success(let session): session.runTurn(text) { reply($0, session) }
            }
        }
    }
}
