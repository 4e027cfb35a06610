import SupportKit

/// The check_billing answer, and how its parts are read to the caller.
struct BillingAccount: Decodable, Sendable {
    struct Line: Decodable, Sendable {
        let description: String
        let amount: Double
    }

    struct Invoice: Decodable, Sendable {
        let invoiceId: String
        let date: String
        let amount: Double
        let status: String
        let lines: [Line]?
    }

    struct Charge: Decodable, Sendable {
        let chargeId: String
        let date: String
        let description: String
        let amount: Double
    }

    struct PaymentPlan: Decodable, Sendable {
        let planId: String
        let months: Int
        let monthlyAmount: Double
        let firstPaymentDate: String?
    }

    let customerId: String
    let name: String?
    let balance: Double
    let currency: String?
    let plan: String?
    let paymentMethod: String?
    let invoices: [Invoice]?
    let recentCharges: [Charge]?
    let paymentPlan: PaymentPlan?

    var money: (Double) -> String { { Speech.money($0, currency: currency ?? "USD") } }

    /// The last four digits of the card on file ("Visa ending 4242" → "4242").
    var cardLastFour: String? {
        guard let digits = paymentMethod?.filter(\.isNumber), digits.count >= 4 else { return nil }
        return String(digits.suffix(4))
    }

    var newestInvoicesFirst: [Invoice] { (invoices ?? []).sorted { $0.date > $1.date } }
    var newestChargesFirst: [Charge] { (recentCharges ?? []).sorted { $0.date > $1.date } }

    func balanceSentence() -> String {
        guard balance > 0.004 else { return "Your balance is \(money(0)), so you're all paid up." }
        let overdue = (invoices ?? []).filter { $0.status == "overdue" }
        let open = (invoices ?? []).filter { $0.status == "open" }
        if !overdue.isEmpty {
            let total = overdue.reduce(0) { $0 + $1.amount }
            let which = overdue.count == 1 ? "from your \(Speech.date(overdue[0].date)) invoice" : "across \(overdue.count) invoices"
            return "Your balance is \(money(balance)), and \(money(total)) of that is overdue \(which)."
        }
        if open.count == 1 {
            return "Your balance is \(money(balance)), from your open invoice of \(Speech.date(open[0].date))."
        }
        return "Your balance is \(money(balance)), currently due."
    }

    func invoicesSentence() -> String {
        let latest = Array(newestInvoicesFirst.prefix(3))
        guard let newest = latest.first else { return "I don't see any invoices on your account." }
        let state = ["open": "still open", "overdue": "overdue", "paid": "paid"]
        var text = "Your latest invoice, from \(Speech.date(newest.date)), is \(money(newest.amount)) and \(state[newest.status] ?? newest.status)."
        let earlier = latest.dropFirst().map { "\(Speech.date($0.date)) for \(money($0.amount)), \(state[$0.status] ?? $0.status)" }
        if !earlier.isEmpty { text += " Before that: " + earlier.joined(separator: "; ") + "." }
        return text
    }

    func chargeDescription(_ charge: Charge) -> String {
        let words = charge.description.split(separator: " ").map { word -> String in
            if let order = Slots.orderID(in: String(word)), word.contains("-") { return Speech.digits(order) }
            return String(word)
        }
        var text = words.joined(separator: " ")
        if let first = text.first, first.isUppercase { text = first.lowercased() + text.dropFirst() }
        return text
    }

    func chargesSentence() -> String {
        let latest = newestChargesFirst.prefix(3)
        guard !latest.isEmpty else { return "I don't see any recent charges on your account." }
        let items = latest.map { charge in
            charge.amount < 0
                ? "a credit of \(money(-charge.amount)) on \(Speech.date(charge.date)) for \(chargeDescription(charge))"
                : "\(money(charge.amount)) on \(Speech.date(charge.date)) for \(chargeDescription(charge))"
        }
        return "Your recent charges are \(Speech.list(items))."
    }

    /// Two charges that look like one billed twice: same amount and description, or same amount
    /// within three days.
    func duplicateCharges() -> (Charge, Charge)? {
        let charges = newestChargesFirst.filter { $0.amount > 0 }
        for (i, a) in charges.enumerated() {
            for b in charges.dropFirst(i + 1) where abs(a.amount - b.amount) < 0.005 {
                if a.description == b.description || Self.daysBetween(a.date, b.date).map({ $0 <= 3 }) == true { return (b, a) }
            }
        }
        return nil
    }

    static func daysBetween(_ a: String, _ b: String) -> Int? {
        func day(_ s: String) -> Int? {
            let p = s.prefix(10).split(separator: "-").compactMap { Int($0) }
            guard p.count == 3 else { return nil }
            return p[0] * 372 + p[1] * 31 + p[2]  // monotonic day index, exact within a month
        }
        guard let x = day(a), let y = day(b) else { return nil }
        return abs(x - y)
    }

    /// The monthly amount of a plan over `months`, rounded up to the cent.
    func monthlyAmount(months: Int) -> Double {
        ((balance * 100 / Double(months)).rounded(.up)) / 100
    }
}
