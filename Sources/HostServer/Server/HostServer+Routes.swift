import Foundation
import HostNet
import HostOrchestration
import HostSupport
import HostTenancy

extension HostServer {
    /// Routes one request (loop thread). Every error is a JSON body that says what is wrong.
    func route(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        loop.preconditionInLoop()
        if let peers, peers.routesOnFirstLoop(request, respond, from: self) { return }
        if ConsoleService.handles(request.path) {
            guard let console else { return respond(ServerResponses.error(404, "the console is switched off on this host (console.enabled: false)")) }
            return console.route(request, respond)
        }
        switch (request.method, request.path) {
        case ("GET", "/health"): respond(health())
        case ("GET", "/ready"): respond(readiness())
        case ("GET", "/metrics"):
            respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4"], body: Array(services.metrics.render().utf8)))
        case ("POST", "/v1/chat"): chat(request, respond)
        case (_, "/health"), (_, "/ready"), (_, "/metrics"), (_, "/v1/chat"):
            respond(ServerResponses.error(405, "\(request.method) is not allowed on \(request.path)"))
        default:
            if telephonyRoute(request, respond) { return }
            respond(ServerResponses.error(404, "no such endpoint: \(request.path)"))
        }
    }

    /// POST /v1/chat {"caller","text","session_id"?,"tenant"?,"end"?} → {"session_id","agent","events"}
    /// (docs/protocol.md, "POST /v1/chat"). `"end": true` with a `session_id` ends that session
    /// (after `text`'s turn when there is one): the reply carries the `end` event.
    func chat(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        // A body that cannot hold an acceptable turn is refused before it is parsed: parsing a
        // megabyte of JSON on the loop is itself a stall. (JSON escapes take at most 6 bytes a byte.)
        guard request.body.count <= 6 * settings.maxTurnTextBytes + 8 * 1024 else {
            services.metrics.increment("agent_host_errors_total", labels: ["kind": "input_too_large"])
            return respond(ServerResponses.error(413, "the body is \(request.body.count) bytes; a turn's text is at most \(settings.maxTurnTextBytes) bytes (server.limits.max_turn_text_bytes)"))
        }
        // The shared parser, not JSONSerialization: Foundation's costs more than the rest of the
        // request's decoding on Linux, and every chat turn comes here.
        guard case .object(let body)? = request.body.withUnsafeBufferPointer({ try? JSONValue.parse($0) }) else {
            return respond(ServerResponses.error(400, "the body must be a JSON object: {\"caller\":\"+15551234567\",\"text\":\"...\"}"))
        }
        if let end = body["end"], end.boolValue == nil { return respond(ServerResponses.error(400, "field 'end' must be true or false")) }
        let hangUp = body["end"]?.boolValue ?? false
        if let text = body["text"], text.stringValue == nil { return respond(ServerResponses.error(400, "field 'text' must be a string")) }
        let text = body["text"]?.stringValue.flatMap { CallerInput.isBlank($0) ? nil : $0 }
        guard text != nil || hangUp else {
            return respond(ServerResponses.error(400, "field 'text' is required and must be a non-empty string (or \"end\": true with a session_id to end a session)"))
        }
        if let text, let problem = CallerInput.textProblem(text, limit: settings.maxTurnTextBytes) {
            services.metrics.increment("agent_host_errors_total", labels: ["kind": "input_too_large"])
            return respond(ServerResponses.error(413, problem))
        }
        if let caller = body["caller"], caller.stringValue == nil { return respond(ServerResponses.error(400, "field 'caller' must be a string")) }
        let caller = body["caller"]?.stringValue
        if let caller, let problem = CallerInput.callerProblem(caller) { return respond(ServerResponses.error(400, "field 'caller': \(problem)")) }
        let sessionID = body["session_id"]?.stringValue
        if body["session_id"] != nil && sessionID == nil { return respond(ServerResponses.error(400, "field 'session_id' must be a string")) }
        if let tenant = body["tenant"], tenant.stringValue == nil { return respond(ServerResponses.error(400, "field 'tenant' must be a string")) }
        let tenant: ServedTenant
        switch resolveTenant(request, bodyTenant: body["tenant"]?.stringValue) {
        case .failure(let rejection): return respond(rejection.response)
        case .success(let resolved): tenant = resolved
        }
        let reply: @Sendable ([ConversationEvent], ServerSession) -> Void = { events, session in
            let agent = session.conversation.map { $0.tenant.agents[$0.currentAgentID]?.name ?? "" } ?? ""
            respond(ServerResponses.json(200, "{\"session_id\":\(JSONText.quote(session.id)),\"agent\":\(JSONText.quote(agent)),\"events\":\(ServerResponses.events(events))}"))
        }
        if let sessionID {
            let proceed: @Sendable (ServerSession) -> Void = { [self] session in
                // A session belongs to its caller: knowing its id is not enough to speak in it.
                guard caller == nil || caller == session.caller else {
                    services.metrics.increment("agent_host_errors_total", labels: ["kind": "session_caller_mismatch"])
                    return respond(ServerResponses.error(403, "session '\(sessionID)' belongs to another caller: start your own without session_id"))
                }
                guard !session.turnInProgress else {
                    return respond(ServerResponses.error(409, "a turn is already in progress for session '\(sessionID)'"))
                }
                guard let text else { return session.hangUp { reply($0, session) } }
                session.runTurn(text) { events in
                    guard hangUp, !session.ended else { return reply(events, session) }
                    session.hangUp { reply(events + $0, session) }
                }
            }
            if let session = registry.session(sessionID) {
                // Moving to another host (HostServer+HandOver.swift): a balancer retries a 503 elsewhere.
                if session.handingOver, session.tenantID == tenant.id {
                    return respond(ServerResponses.error(503, "session '\(sessionID)' is moving to another host (this one is shutting down): send the request again; through the load balancer it goes to another host"))
                }
                guard session.tenantID == tenant.id, !session.ended else {
                    return respond(ServerResponses.error(404, "no live session '\(sessionID)' for tenant '\(tenant.id)': start a new one without session_id"))
                }
                return proceed(session)
            }
            // Another loop of this host serves it: the request goes there (ServerLoops.swift).
            if let peers, peers.forward(sessionID: sessionID, request, respond, from: self) { return }
            // Not here: its host may be gone; continue it from its checkpoint (HostServer+Checkpoints.swift).
            return resumeSession(tenant: tenant, sessionID: sessionID, caller: caller) { result in
                switch result {
                case .failure(let rejection): respond(rejection.response)
                case .success(let session): proceed(session)
                }
            }
        }
        guard let caller else {
            return respond(ServerResponses.error(400, "field 'caller' is required for a new session (a phone number or chat id, at most \(CallerInput.maxCallerBytes) bytes)"))
        }
        guard let text, !hangUp else {
            return respond(ServerResponses.error(400, "\"end\": true needs the session_id of the session to end"))
        }
        openSession(tenant: tenant, caller: caller, checkpointed: true) { result in
            switch result {
            case .failure(let rejection): respond(rejection.response)
            case .success(let session): session.runTurn(text) { reply($0, session) }
            }
        }
    }
}
