import PluginABI
import Synchronization

/// Where a step's actions go: implemented by the orchestration (and by tests and benchmarks).
/// Called on whatever thread the plugin acts from; implementations hop to their loop as needed.
public protocol StepSink: AnyObject, Sendable {
    func say(_ text: String) -> ah_status_t
    /// Returns AH_OK and the call id, or a refusal status (not permitted, limit exceeded).
    func callTool(_ name: String, argumentsJSON: String) -> (ah_status_t, UInt64)
    func handoff(to agentID: String, reason: String?) -> ah_status_t
    func escalate(department: String, reason: String?) -> ah_status_t
    func endSession(reason: String?) -> ah_status_t
    func setState(_ json: String) -> ah_status_t
    func stepDone(status: ah_status_t, message: String?)
    /// The process running the step's plugin died (isolated plugins): the step is over.
    func crashed(message: String)
    /// The plugin refused to start the step, reported after `step` returned (isolated plugins).
    func refused(status: ah_status_t, message: String)
}

extension StepSink {
    public func crashed(message: String) { stepDone(status: AH_ERR_INTERNAL, message: message) }
    public func refused(status: ah_status_t, message: String) { stepDone(status: status, message: message) }
}

/// Receives one tool completion.
public typealias ToolCompletion = @Sendable (_ status: ah_status_t, _ output: String) -> Void

/// Routes completions plugins report through the host table (tool_complete, agent_*) to whoever
/// is waiting for them. Ids are unique per process, so a stale or forged id finds nothing and is
/// ignored (a plugin completing twice cannot confuse anyone).
public final class CompletionRouter: Sendable {
    private let calls = Mutex<[UInt64: ToolCompletion]>([:])
    /// Calls the host gave up on (their step's deadline passed), newest last: a late completion
    /// for one of these is expected and said so in the log, not mistaken for a forged id.
    private let cancelled = Mutex<[UInt64]>([])
    private static let cancelledMemory = 1024
    private let steps = Mutex<[UInt64: any StepSink]>([:])
    private let nextID = Atomic<UInt64>(1)

    public init() {}

    public func makeID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Registers a pending tool call; `completion` runs exactly once, on the thread completing it.
    public func expectCompletion(of callID: UInt64, _ completion: @escaping ToolCompletion) {
        calls.withLock { $0[callID] = completion }
    }

    /// Forgets a call whose invoke was refused (no completion will come).
    public func abandon(callID: UInt64) {
        calls.withLock { _ = $0.removeValue(forKey: callID) }
    }

    /// Gives up on a pending call (its step timed out): its completion will never run, and a late
    /// one is recognised by `wasCancelled`.
    public func cancel(callID: UInt64) {
        calls.withLock { _ = $0.removeValue(forKey: callID) }
        cancelled.withLock { ids in
            ids.append(callID)
            if ids.count > Self.cancelledMemory { ids.removeFirst(ids.count - Self.cancelledMemory) }
        }
    }

    /// Whether `callID` was cancelled recently (for the log line of a late completion).
    public func wasCancelled(_ callID: UInt64) -> Bool {
        cancelled.withLock { $0.contains(callID) }
    }

    /// Delivers a completion; false when the id is unknown or already completed.
    @discardableResult
    public func complete(callID: UInt64, status: ah_status_t, output: String) -> Bool {
        guard let completion = calls.withLock({ $0.removeValue(forKey: callID) }) else { return false }
        completion(status, output)
        return true
    }

    public func openStep(_ stepID: UInt64, sink: any StepSink) {
        steps.withLock { $0[stepID] = sink }
    }

    public func sink(for stepID: UInt64) -> (any StepSink)? {
        steps.withLock { $0[stepID] }
    }

    /// Closes a step; returns its sink once (later calls return nil).
    public func closeStep(_ stepID: UInt64) -> (any StepSink)? {
        steps.withLock { $0.removeValue(forKey: stepID) }
    }

    public var pendingCalls: Int { calls.withLock { $0.count } }
    public var openSteps: Int { steps.withLock { $0.count } }
}
