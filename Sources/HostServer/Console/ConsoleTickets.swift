import Foundation

/// Short-lived, single-use tickets that let a browser open `WS /ws/voice|chat/{caller}` without its
/// key in the URL (docs/protocol.md, "Tickets"): the page proves the tenant key in a header on
/// `POST /console/v1/ticket`, gets a random ticket bound to that tenant, and presents it once as
/// `?ticket=` on the handshake. A ticket in a log is worthless seconds later and after one use.
/// Loop-confined: used only on the server loop's thread.
final class ConsoleTickets: @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread.
    static let lifetimeSeconds: Double = 30
    /// A page asks for one per call; more than this outstanding means someone is hoarding them.
    static let maxOutstanding = 1024

    private var tickets: [String: (tenant: String, expires: Date)] = [:]

    /// A new ticket for `tenant`, or nil when too many are outstanding.
    func issue(tenant: String, now: Date = Date()) -> String? {
        tickets = tickets.filter { $0.value.expires > now }
        guard tickets.count < Self.maxOutstanding else { return nil }
        var bytes = [UInt8](repeating: 0, count: 24)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let ticket = bytes.map { String(format: "%02x", $0) }.joined()
        tickets[ticket] = (tenant, now.addingTimeInterval(Self.lifetimeSeconds))
        return ticket
    }

    /// True (and the ticket is spent) when `ticket` is live and was issued for `tenant`.
    func redeem(_ ticket: String, tenant: String, now: Date = Date()) -> Bool {
        guard let entry = tickets.removeValue(forKey: ticket) else { return false }
        return entry.tenant == tenant && entry.expires > now
    }
}
