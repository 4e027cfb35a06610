import Foundation

/// The two date shapes the API uses, both UTC.
enum Timestamps {
    /// "2026-11-14T09:30:00Z"
    static func instant(_ date: Date) -> String { date.formatted(.iso8601) }
    /// "2026-12-24"
    static func day(_ date: Date) -> String { date.formatted(.iso8601.year().month().day()) }
    /// Whole days from `date` to `now`.
    static func days(from date: Date, to now: Date) -> Int { Int(now.timeIntervalSince(date) / 86_400) }
}

/// "RF-000123": a prefix and a zero-padded sequence number.
func displayID(_ prefix: String, _ number: Int) -> String {
    let digits = String(number)
    return prefix + "-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
}

/// The sequence number inside a display ID ("RF-000118" → 118).
func sequenceNumber(of displayID: String) -> Int? {
    displayID.split(separator: "-").last.flatMap { Int($0) }
}
