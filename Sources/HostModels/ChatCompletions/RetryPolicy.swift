import Foundation

/// When to try a failed model request again. Exponential backoff with jitter (so many sessions
/// hitting one rate limit do not come back in step), a server's `Retry-After` taking precedence.
public struct RetryPolicy: Sendable {
    public let maxRetries: Int
    public let baseMilliseconds: Int
    public let capMilliseconds: Int

    public init(maxRetries: Int, baseMilliseconds: Int, capMilliseconds: Int) {
        self.maxRetries = maxRetries
        self.baseMilliseconds = baseMilliseconds
        self.capMilliseconds = capMilliseconds
    }

    /// The wait before retry number `retry` (1-based); nil when the server asks for longer than the cap.
    public func delay(retry: Int, retryAfter: String?, now: Date = Date()) -> Int? {
        if let retryAfter, let asked = Self.milliseconds(retryAfter: retryAfter, now: now) {
            return asked <= capMilliseconds ? asked : nil
        }
        let exponential = min(capMilliseconds, baseMilliseconds << min(retry - 1, 20))
        // Jitter in [half, full]: keeps some backoff while spreading callers apart.
        return exponential / 2 + Int.random(in: 0...max(0, exponential - exponential / 2))
    }

    /// `Retry-After` as delay-seconds (`120`, also fractional as some servers send) or an
    /// HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`); nil when it is neither.
    public static func milliseconds(retryAfter value: String, now: Date = Date()) -> Int? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 { return Int((seconds * 1000).rounded()) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, Int((date.timeIntervalSince(now) * 1000).rounded()))
    }
}
