import Foundation

/// Answers the department agents' tool calls the way the tool plugin and the reference backend do
/// (same JSON shapes, same refusals, same "not found" failures), from canned data, with refunds
/// and payment plans remembered so a second refund is refused. `down` makes every call fail.
final class CannedBackend: @unchecked Sendable {
    // @unchecked: every mutable property is only touched under `lock`.
    private let lock = NSLock()
    private var refunds: [String: [String: Any]] = [:]  // order id → refund
    private var plans: [String: [String: Any]] = [:]
    private var calls: [(name: String, arguments: String)] = []
    private var isDown = false

    /// Makes every call fail as if the backend were unreachable.
    var down: Bool {
        get { lock.withLock { isDown } }
        set { lock.withLock { isDown = newValue } }
    }

    /// Tool calls received so far: (name, arguments JSON object).
    var received: [(name: String, arguments: [String: Any])] {
        lock.withLock { calls }.map { ($0.name, (try? JSONSerialization.jsonObject(with: Data($0.arguments.utf8))) as? [String: Any] ?? [:]) }
    }

    func names() -> [String] { lock.withLock { calls.map(\.name) } }

    var handler: @Sendable (String, String) -> (Bool, String) {
        { [self] name, arguments in handle(name, arguments) }
    }

    func handle(_ name: String, _ arguments: String) -> (Bool, String) {
        lock.withLock { calls.append((name, arguments)) }
        if down { return (false, "the backend at http://127.0.0.1:8090 is not reachable") }
        let args = (try? JSONSerialization.jsonObject(with: Data(arguments.utf8))) as? [String: Any] ?? [:]
        switch name {
        case "lookup_order": return lookupOrder(args["order_id"] as? String ?? "")
        case "process_refund": return processRefund(args)
        case "check_billing": return checkBilling(args["customer_id"] as? String ?? "")
        case "create_payment_plan": return createPlan(args)
        case "search_faq": return searchFAQ(args["query"] as? String ?? "", topK: args["top_k"] as? Int ?? 3)
        default: return (false, "tool \(name) is not available")
        }
    }

    static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    // MARK: orders and refunds

    static var orders: [String: [String: Any]] {
        [
            "ORD-12345": order("ORD-12345", "CUST-1001", "delivered", 10, [("BP-TRAIL-30", "Trailhead 30L Waterproof Backpack", 1, 89.99),
                                                                          ("BTL-STEEL-750", "Insulated Steel Bottle 750 ml", 2, 19.50)]),
            "ORD-77310": order("ORD-77310", "CUST-1002", "delivered", 5, [("DESK-OAK-140", "Oakline Standing Desk 140 cm", 1, 349.00)]),
            // The reference backend names the id "id" rather than "order_id": both shapes are covered.
            "ORD-45045": order("ORD-45045", "CUST-1003", "delivered", 45, [("BLND-VX9", "VortexPro 9 Blender", 1, 129.00)], idKey: "id"),
            "ORD-22222": order("ORD-22222", "CUST-1004", "delivered", 20, [("LAMP-LED-2", "Lumen LED Desk Lamp", 2, 32.49)]),
            "ORD-31337": order("ORD-31337", "CUST-1005", "processing", nil, [("CHAIR-ERGO-1", "ErgoFlex Office Chair", 1, 159.00)]),
        ]
    }
    static var seededRefunds: [String: [String: Any]] {
        [
            "ORD-22222": ["refund_id": "RF-000118", "amount": 64.98, "status": "approved", "created_at": "2026-05-03T10:00:00Z"],
        ]
    }

    static func order(_ id: String, _ customer: String, _ status: String, _ deliveredDaysAgo: Int?,
                      _ items: [(String, String, Int, Double)], idKey: String = "order_id") -> [String: Any] {
        let total = items.reduce(0.0) { $0 + Double($1.2) * $1.3 }
        return [
            idKey: id, "customer_id": customer, "status": status, "currency": "USD",
            "items": items.map { ["sku": $0.0, "name": $0.1, "quantity": $0.2, "unit_price": $0.3] },
            "total": (total * 100).rounded() / 100, "ordered_at": "2026-04-01T09:00:00Z",
            "delivered_at": deliveredDaysAgo.map { _ in "2026-04-05T15:00:00Z" as Any } ?? NSNull(),
            "days_since_delivery": deliveredDaysAgo.map { $0 as Any } ?? NSNull(),
        ]
    }

    func refund(for orderID: String) -> [String: Any]? {
        lock.withLock { refunds[orderID] } ?? Self.seededRefunds[orderID]
    }

    func lookupOrder(_ id: String) -> (Bool, String) {
        guard var order = Self.orders[id] else { return (false, "order \(id) not found") }
        order["refund"] = refund(for: id) ?? NSNull()
        return (true, Self.json(order))
    }

    func processRefund(_ args: [String: Any]) -> (Bool, String) {
        let id = args["order_id"] as? String ?? ""
        guard let order = Self.orders[id] else { return (false, "order \(id) not found") }
        if refund(for: id) != nil {
            return (true, Self.json(["refused": true, "code": "already_refunded", "reason": "Order \(id) was already refunded."]))
        }
        if order["status"] as? String != "delivered" {
            return (true, Self.json(["refused": true, "code": "not_delivered", "reason": "Order \(id) has not been delivered yet."]))
        }
        if let days = order["days_since_delivery"] as? Int, days > 30 {
            return (true, Self.json(["refused": true, "code": "outside_window", "reason": "Order \(id) was delivered \(days) days ago, outside the 30-day refund window."]))
        }
        let amount = args["amount"] as? Double ?? order["total"] as? Double ?? 0
        // The brief's contract has a number of days; the reference backend sends a range ("5-7").
        let eta: Any = id == "ORD-12345" ? "5-7" : 5
        let refund: [String: Any] = ["refund_id": "RF-000119", "order_id": id, "amount": amount, "status": "approved",
                                     "eta_business_days": eta, "created_at": "2026-05-20T12:00:00Z"]
        lock.withLock { refunds[id] = refund }
        return (true, Self.json(refund))
    }

    // MARK: billing

    static var customers: [String: [String: Any]] {
        [
            "CUST-1001": customer("CUST-1001", "Maria Gonzalez", "Visa ending 4242", [
                ("INV-1001-08", "2026-03-15", "paid", [("Premium membership (monthly)", 19.99), ("Express shipping upgrade", 12.00)]),
                ("INV-1001-09", "2026-05-14", "open", [("Premium membership (monthly)", 19.99), ("Extended warranty, Trailhead backpack", 14.50)]),
            ], charges: [("CH-880101", "2026-05-05", "Order ORD-12345", 128.99), ("CH-880102", "2026-03-15", "Invoice INV-1001-08", 31.99)]),
            "CUST-1002": customer("CUST-1002", "James Chen", "Mastercard ending 5100", [
                ("INV-1002-04", "2026-04-09", "overdue", [("Basic membership (monthly)", 9.99), ("Late fee", 5.00)]),
            ], charges: [("CH-880201", "2026-05-10", "Order ORD-77310", 349.00), ("CH-880202", "2026-05-11", "Order ORD-77310", 349.00)]),
        ]
    }

    static func customer(_ id: String, _ name: String, _ card: String, _ invoices: [(String, String, String, [(String, Double)])],
                         charges: [(String, String, String, Double)]) -> [String: Any] {
        let invoiceObjects: [[String: Any]] = invoices.map { invoice in
            ["invoice_id": invoice.0, "date": invoice.1, "status": invoice.2,
             "amount": (invoice.3.reduce(0) { $0 + $1.1 } * 100).rounded() / 100,
             "lines": invoice.3.map { ["description": $0.0, "amount": $0.1] }]
        }
        let balance = invoiceObjects.filter { $0["status"] as? String != "paid" }.reduce(0.0) { $0 + ($1["amount"] as? Double ?? 0) }
        return [
            "customer_id": id, "name": name, "email": "someone@example.com", "balance": (balance * 100).rounded() / 100,
            "currency": "USD", "plan": "Premium", "payment_method": card, "invoices": invoiceObjects,
            "recent_charges": charges.map { ["charge_id": $0.0, "date": $0.1, "description": $0.2, "amount": $0.3] },
            "payment_plan": NSNull(),
        ]
    }

    func checkBilling(_ id: String) -> (Bool, String) {
        guard var customer = Self.customers[id] else { return (false, "customer \(id) not found") }
        customer["payment_plan"] = lock.withLock { plans[id] } ?? NSNull()
        return (true, Self.json(customer))
    }

    func createPlan(_ args: [String: Any]) -> (Bool, String) {
        let id = args["customer_id"] as? String ?? ""
        guard let customer = Self.customers[id] else { return (false, "customer \(id) not found") }
        let months = args["months"] as? Int ?? 0
        guard (2...12).contains(months) else {
            return (true, Self.json(["refused": true, "code": "invalid_months", "reason": "Payment plans run from 2 to 12 months."]))
        }
        if lock.withLock({ plans[id] }) != nil {
            return (true, Self.json(["refused": true, "code": "plan_exists", "reason": "This account already has a payment plan."]))
        }
        let balance = customer["balance"] as? Double ?? 0
        let plan: [String: Any] = ["plan_id": "PP-000008", "customer_id": id, "months": months,
                                   "monthly_amount": ((balance * 100 / Double(months)).rounded(.up)) / 100,
                                   "first_payment_date": "2026-06-01"]
        lock.withLock { plans[id] = plan }
        return (true, Self.json(plan))
    }

    // MARK: FAQ

    static let articles: [(id: String, question: String, answer: String, tags: [String])] = [
        ("faq-shipping-times", "How long does shipping take?",
         "Standard shipping takes 3-5 business days within the contiguous US; express shipping takes 1-2 business days. Orders placed before 2 pm ship the same day.",
         ["shipping", "delivery", "time", "days", "arrive", "long"]),
        ("faq-store-hours", "What are your store hours?",
         "Our stores are open Monday to Saturday 9 am to 8 pm and Sunday 10 am to 6 pm. Holiday hours are posted on each store's page.",
         ["store", "hours", "open", "close", "sunday"]),
        ("faq-backpack-waterproof", "Is the Trailhead backpack waterproof?",
         "Yes. The Trailhead 30L backpack is made of waterproof TPU-coated nylon with sealed seams and a roll-top closure, rated IPX6 against heavy rain.",
         ["backpack", "waterproof", "rain", "water"]),
        ("faq-gift-cards", "Do you sell gift cards?",
         "Yes. Digital gift cards from $25 to $500 are delivered by email and never expire.", ["gift", "card", "cards"]),
    ]

    /// Word-overlap search over question and tags, like the backend's: empty when nothing matches.
    func searchFAQ(_ query: String, topK: Int) -> (Bool, String) {
        let words = Set(query.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init))
            .subtracting(["the", "a", "do", "you", "how", "is", "what", "are", "your", "i", "my", "to", "of", "does"])
        let scored = Self.articles.map { article -> (Double, [String: Any]) in
            let text = Set((article.question.lowercased().split { !$0.isLetter }.map(String.init)) + article.tags)
            let score = Double(words.intersection(text).count) / Double(max(words.count, 1))
            return (score, ["id": article.id, "question": article.question, "answer": article.answer, "score": score])
        }.filter { $0.0 > 0 }.sorted { $0.0 > $1.0 }.prefix(topK)
        return (true, Self.json(["results": scored.map(\.1)]))
    }
}
