import Foundation

/// What a person taking over an escalated conversation is told (the host's summary) and the
/// conversation so far, kept beside the ticket. A table of its own, created on first use, so a
/// store written by an older backend gains it without a migration.
extension BackendStore {
    struct Handover {
        let ticketID, department, caller, reason, summary, transcript: String
    }

    func saveHandover(ticketID: String, summary: String, transcript: String) throws {
        guard let seq = sequenceNumber(of: ticketID) else { return }
        try ensureHandoverTable()
        try db.query("INSERT OR REPLACE INTO escalation_handovers (seq, summary, transcript) VALUES (?, ?, ?)",
                     [.integer(Int64(seq)), .text(summary), .text(transcript)])
    }

    func handover(ticketID: String) throws -> Handover? {
        guard let seq = sequenceNumber(of: ticketID) else { return nil }
        try ensureHandoverTable()
        let rows = try db.query("""
            SELECT e.department, e.caller, e.reason, COALESCE(h.summary, ''), COALESCE(h.transcript, '')
            FROM escalations e LEFT JOIN escalation_handovers h ON h.seq = e.seq WHERE e.seq = ?
            """, [.integer(Int64(seq))])
        guard let row = rows.first else { return nil }
        let text = { (index: Int) in row[index].string ?? "" }
        return Handover(ticketID: ticketID, department: text(0), caller: text(1), reason: text(2), summary: text(3), transcript: text(4))
    }

    private func ensureHandoverTable() throws {
        try db.execute("CREATE TABLE IF NOT EXISTS escalation_handovers (seq INTEGER PRIMARY KEY, summary TEXT NOT NULL, transcript TEXT NOT NULL)")
    }
}
