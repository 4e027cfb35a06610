import Foundation
import HostNet
import HostSessions
import HostSupport

extension ConsoleService {
    /// The admin-key endpoints (the key is checked already).
    func operatorRoute(_ request: HTTPRequest, _ reply: @escaping HTTPResponder) {
        let loop = server.loop
        let later: @Sendable (Int, String) -> Void = { status, body in loop.execute { reply(ServerResponses.json(status, body)) } }
        let parts = request.path.split(separator: "/").map(String.init)   // console, v1, …
        switch (request.method, parts.dropFirst(2).first ?? "", parts.count) {
        case ("GET", "sessions", 3): reply(ServerResponses.json(200, sessionList()))
        case ("GET", "sessions", 4): reply(sessionEvents(parts[3], after: Int(request.query("after") ?? "") ?? 0))
        case ("POST", "sessions", 5) where parts[4] == "end": reply(endSession(parts[3]))
        case ("GET", "sessions", 5) where parts[4] == "recording": recording(parts[3], request, reply)
        case ("POST", "drain", 3):
            let started = server.stopTakingSessions()
            server.services.logger.log(.info, "console", "drain \(started ? "started" : "requested again") from the console")
            reply(ServerResponses.json(200, JSONText.render(["draining": true, "already": !started, "active_sessions": server.registry.count] as [String: Any])))
        case ("GET", "stats", 3): reply(ServerResponses.json(200, JSONText.render(monitor.stats())))
        case ("GET", "history", 3): history(request, reply: later)
        case ("GET", "plugins", 3):
            guard let reports else { return reply(ServerResponses.error(503, "plugin reports are not available in this host")) }
            reports.plugins { plugins in
                reports.tenants { tenants in later(200, "{\"plugins\":\(plugins),\"tenants\":\(tenants)}") }
            }
        default:
            reply(ServerResponses.error(404, "no console endpoint \(request.method) \(request.path) (docs/console.md lists them)"))
        }
    }

    /// Live sessions across tenants, oldest first, and the recently ended.
    private func sessionList() -> String {
        let now = Date()
        let live: [[String: Any]] = server.registry.sessions.values.compactMap { session in
            let conversation = session.conversation
            let started = conversation?.startedAt ?? now
            return ["session_id": session.id, "tenant": session.tenantID, "caller": session.caller, "channel": session.channel,
                    "agent": conversation.map { $0.tenant.agents[$0.currentAgentID]?.name ?? $0.currentAgentID } ?? "",
                    "started_at": Int(started.timeIntervalSince1970), "duration_seconds": Int(now.timeIntervalSince(started)),
                    "events": monitor.tails[session.id]?.next ?? 0]
        }.sorted { ($0["started_at"] as? Int ?? 0, $0["session_id"] as? String ?? "") < ($1["started_at"] as? Int ?? 0, $1["session_id"] as? String ?? "") }
        let ended = monitor.recentlyEnded.prefix(20).map { ["session_id": $0.id, "reason": $0.reason, "ended_at": Int($0.at.timeIntervalSince1970)] as [String: Any] }
        return JSONText.render(["sessions": live, "recently_ended": Array(ended), "draining": server.registry.draining] as [String: Any])
    }

    /// `{"session_id","live","ended","next","events":[…]}`: the page asks again with `after=next`.
    private func sessionEvents(_ id: String, after: Int) -> HTTPResponse {
        guard let found = monitor.events(of: id, after: after) else {
            return ServerResponses.error(404, "no session '\(id)' is live or recently ended on this host")
        }
        let live = server.registry.session(id) != nil
        return ServerResponses.json(200, "{\"session_id\":\(JSONText.quote(id)),\"live\":\(live),\"ended\":\(found.ended.map(JSONText.quote) ?? "null"),"
            + "\"next\":\(found.next),\"events\":[\(found.events.joined(separator: ","))]}")
    }

    private func endSession(_ id: String) -> HTTPResponse {
        guard let session = server.registry.session(id), !session.ended else {
            return ServerResponses.error(404, "no live session '\(id)': it may have ended already")
        }
        server.services.logger.log(.info, "console", "session \(id) of \(session.tenantID) ended from the console")
        session.end(reason: "operator_ended")
        return ServerResponses.json(202, JSONText.render(["session_id": id, "ending": true] as [String: Any]))
    }

    /// A stored call's recording for the history page: `?tenant=` names whose recordings (the
    /// admin key stands for every tenant); the same checks and answers as the tenant's own
    /// GET /v1/sessions/{id}/recording.
    private func recording(_ id: String, _ request: HTTPRequest, _ reply: @escaping HTTPResponder) {
        guard HostServer.isSessionID(id) else {
            return reply(ServerResponses.error(400, "'\(id.prefix(64))' is not a session id (lowercase letters, digits and '-')"))
        }
        guard let tenantID = request.query("tenant"), let tenant = server.tenants[tenantID] else {
            return reply(ServerResponses.error(404, "give ?tenant= with a tenant this host serves"))
        }
        server.serveRecording(sessionID: id, tenant: tenant, reply)
    }

    /// The caller's stored interactions for a tenant (Redis, or memory), newest first.
    private func history(_ request: HTTPRequest, reply: @escaping @Sendable (Int, String) -> Void) {
        guard let tenant = request.query("tenant"), !tenant.isEmpty, let caller = request.query("caller"), !caller.isEmpty else {
            return reply(400, JSONText.render(["error": "give ?tenant=ID&caller=NUMBER"]))
        }
        if let problem = CallerInput.callerProblem(caller) { return reply(400, JSONText.render(["error": "caller: \(problem)"])) }
        guard let store = server.persistence as? SessionHistory else {
            return reply(503, JSONText.render(["error": "this host's session store cannot list history"]))
        }
        store.interactions(tenant: tenant, caller: caller) { interactions in
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let list = interactions.reversed().compactMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
            reply(200, "{\"tenant\":\(JSONText.quote(tenant)),\"caller\":\(JSONText.quote(caller)),\"interactions\":[\(list.joined(separator: ","))]}")
        }
    }
}

/// A session store that can list a caller's interactions (the console's history page).
package protocol SessionHistory: Sendable {
    /// Oldest first; completes on any thread.
    func interactions(tenant: String, caller: String, completion: @escaping @Sendable ([SessionRecord.Interaction]) -> Void)
}

extension InMemorySessionPersistence: SessionHistory {
    package func interactions(tenant: String, caller: String, completion: @escaping @Sendable ([SessionRecord.Interaction]) -> Void) {
        completion(sessions(tenant: tenant, caller: caller).map { session in
            SessionRecord.Interaction(sessionID: session.sessionID, startedAt: session.startedAt, endedAt: session.endedAt,
                                      agents: session.agents, tools: session.tools, outcome: session.outcome,
                                      transcript: session.transcript.map { SessionRecord.Line(role: $0.role, agent: $0.agent, text: $0.text) })
        })
    }
}
