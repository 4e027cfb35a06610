import HostNet

/// POST /api/escalate {"caller", "department", "reason", "session_id"?, "summary"?, "transcript"?} — hand a
/// conversation to a human queue (the summary and transcript are what the host tells the person taking over).
/// GET /api/escalations/{ticket_id} — the ticket with its handover.
extension SupportAPI {
    struct Ticket: Encodable {
        let ticketId, department, status, createdAt: String
        let position, waitMinutes: Int
    }

    /// Average minutes a human agent needs per ticket ahead in the queue.
    private var minutesPerTicket: Int { 4 }

    func escalate(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let body = try RequestFields(request)
        let caller = try body.text("caller", maxLength: 256)
        let department = try body.text("department", maxLength: 64).lowercased()
        let reason = try body.text("reason", maxLength: 1_000)
        let sessionID = try body.optionalText("session_id", maxLength: 256)
        let summary = try body.optionalText("summary", maxLength: 2_000)
        let transcript = try body.optionalText("transcript", maxLength: 64_000)
        let now = clock()
        let ticket = try storeCall {
            let ticket = try store.escalate(department: department, caller: caller, reason: reason, sessionID: sessionID, at: now)
            if summary != nil || transcript != nil {
                try store.saveHandover(ticketID: ticket.ticketID, summary: summary ?? "", transcript: transcript ?? "")
            }
            return ticket
        }
        return JSONBody.response(status: 201, Ticket(
            ticketId: ticket.ticketID, department: department, status: "queued", createdAt: ticket.createdAt,
            position: ticket.position, waitMinutes: ticket.position * minutesPerTicket))
    }

    struct HandoverView: Encodable {
        let ticketId, department, caller, reason, summary, transcript: String
    }

    func getEscalation(_ ticketID: String) throws(APIError) -> HTTPResponse {
        guard let handover = try storeCall({ try store.handover(ticketID: ticketID) }) else {
            throw .notFound("no escalation \(ticketID)")
        }
        return JSONBody.response(status: 200, HandoverView(ticketId: handover.ticketID, department: handover.department, caller: handover.caller,
                                                           reason: handover.reason, summary: handover.summary, transcript: handover.transcript))
    }
}
