import Foundation
import SupportKit

/// The lookup_order answer.
struct Order: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        let sku: String?
        let name: String
        let quantity: Int
        let unitPrice: Double
    }

    struct Refund: Decodable, Sendable {
        let refundId: String
        let amount: Double
        let status: String?
        let createdAt: String?
    }

    /// The tool's contract says "order_id"; some backends answer "id": either is accepted.
    private let orderId: String?
    private let id: String?
    let customerId: String?
    let items: [Item]
    let total: Double
    let currency: String?
    let status: String
    let orderedAt: String?
    let deliveredAt: String?
    let daysSinceDelivery: Int?
    let refund: Refund?

    /// The order's id (as the tool answered it).
    var number: String { orderId ?? id ?? "" }

    func money(_ amount: Double) -> String { Speech.money(amount, currency: currency ?? "USD") }

    var spoken: String { Speech.order(number) }

    /// Days since delivery: the backend's count, else computed from delivered_at.
    var daysDelivered: Int? {
        if let daysSinceDelivery { return daysSinceDelivery }
        guard let deliveredAt else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = deliveredAt.count <= 10 ? [.withFullDate] : [.withInternetDateTime]
        guard let date = formatter.date(from: deliveredAt) else { return nil }
        return max(0, Int(Date().timeIntervalSince(date) / 86_400))
    }

    /// The one item the caller named most recently ("the bottle"), when the order has several.
    func item(mentionedIn texts: [String]) -> Item? {
        guard items.count > 1 else { return nil }
        for text in texts.reversed() {
            let said = TextMatch.contentStems(text)
            let matches = items.filter { !TextMatch.contentStems($0.name).isDisjoint(with: said) }
            if matches.count == 1 { return matches[0] }
        }
        return nil
    }

    /// "the Oakline Standing Desk 140 cm", "2 Insulated Steel Bottles" style naming for one item.
    static func describe(_ item: Item) -> String {
        item.quantity == 1 ? "the \(item.name)" : "the \(item.quantity) \(item.name)"
    }
}
