import HostNet

/// POST /api/escalate {"caller", "department", "reason", "session_id"?} — hand a conversation to a human queue.
extension SupportAPI {
    struct EscalationRequest: Decodable {
        let caller, department, reason: String
        let sessionID: String?
        enum CodingKeys: String, CodingKey {
            case caller, department, reason, sessionID = "session_id"
        }
    }

    struct Ticket: Encodable {
        let ticketId, department, status, createdAt: String
        let position, waitMinutes: Int
    }

    /// Average minutes a human agent needs per ticket ahead in the queue.
    private var minutesPerTicket: Int { 4 }

    func escalate(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let body = try JSONBody.decode(EscalationRequest.self, from: request)
        let caller = try body.caller.requiredText(field: "caller")
        let department = try body.department.requiredText(field: "department").lowercased()
        let reason = try body.reason.requiredText(field: "reason")
        let now = clock()
        let ticket = try storeCall {
            try store.escalate(department: department, caller: caller, reason: reason, sessionID: body.sessionID, at: now)
        }
        return JSONBody.response(status: 201, Ticket(
            ticketId: ticket.ticketID, department: department, status: "queued", createdAt: ticket.createdAt,
            position: ticket.position, waitMinutes: ticket.position * minutesPerTicket))
    }
}
