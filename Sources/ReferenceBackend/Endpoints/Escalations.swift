import HostNet

/// POST /api/escalate {"caller", "department", "reason", "session_id"?} — hand a conversation to a human queue.
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
        let now = clock()
        let ticket = try storeCall {
            try store.escalate(department: department, caller: caller, reason: reason, sessionID: sessionID, at: now)
        }
        return JSONBody.response(status: 201, Ticket(
            ticketId: ticket.ticketID, department: department, status: "queued", createdAt: ticket.createdAt,
            position: ticket.position, waitMinutes: ticket.position * minutesPerTicket))
    }
}
