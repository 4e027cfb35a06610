import Dispatch
import Synchronization

/// Stops asking a provider that keeps failing. Every failed model step costs the caller the
/// provider's timeouts and retries (seconds) before the offline brain answers; during an outage
/// that would be every turn of every call. After `failureThreshold` failed steps in a row the
/// circuit opens: steps go straight to the offline brain (still with a `model_fallback` error
/// event and metric, reason `circuit_open`) for `cooldown`; then one step tries the model again,
/// and its success closes the circuit. Thread-safe: a tenant's brain serves sessions on any loop.
public final class ModelCircuit: Sendable {
    public let failureThreshold: Int
    public let cooldownNanoseconds: UInt64
    private let state = Mutex<(consecutiveFailures: Int, openUntil: UInt64?)>((0, nil))

    public init(failureThreshold: Int = 3, cooldownSeconds: Double = 30) {
        self.failureThreshold = failureThreshold
        cooldownNanoseconds = UInt64(cooldownSeconds * 1e9)
    }

    /// Whether a step may ask the model now; nil when it may, else the seconds until it may.
    public func refusal(now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Double? {
        state.withLock { state in
            guard let until = state.openUntil else { return nil }
            if now >= until {
                // Half-open: this step tries; until it reports, others wait a full cooldown more.
                state.openUntil = now + cooldownNanoseconds
                return nil
            }
            return Double(until - now) / 1e9
        }
    }

    /// Closed again: a step succeeded (also how tests start from a clean state).
    public func succeeded() {
        state.withLock { $0 = (0, nil) }
    }

    public func failed(now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        state.withLock { state in
            state.consecutiveFailures += 1
            if state.consecutiveFailures >= failureThreshold { state.openUntil = now + cooldownNanoseconds }
        }
    }
}
