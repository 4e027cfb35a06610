/// An amount in cents: sums stay exact, and JSON gets a two-decimal number.
struct Money: Comparable, Encodable, CustomStringConvertible {
    var cents: Int

    init(cents: Int) { self.cents = cents }
    init(_ amount: Double) { cents = Int((amount * 100).rounded()) }

    static let zero = Money(cents: 0)
    static func + (a: Money, b: Money) -> Money { Money(cents: a.cents + b.cents) }
    static func * (a: Money, n: Int) -> Money { Money(cents: a.cents * n) }
    static func < (a: Money, b: Money) -> Bool { a.cents < b.cents }

    /// This amount split into `parts` equal payments, rounded up to the cent.
    func dividedRoundingUp(_ parts: Int) -> Money { Money(cents: (cents + parts - 1) / parts) }

    /// "12.34" (amounts here are never negative when shown in messages).
    var description: String {
        let fraction = String(abs(cents) % 100)
        return "\(cents / 100).\(fraction.count == 1 ? "0" + fraction : fraction)"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Double(cents) / 100)
    }
}
