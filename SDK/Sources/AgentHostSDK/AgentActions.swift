import PluginABI
import Synchronization

/// What an agent can do during one step. Thread-safe; every action goes straight to the host.
public final class AgentActions: Sendable {
    public let stepID: UInt64
    public let host: PluginHost
    private let state = Mutex(PendingResults())

    struct PendingResults: ~Copyable {
        var waiting: [UInt64: CheckedContinuation<ToolResult, Never>] = [:]
        var arrived: [UInt64: ToolResult] = [:]
        var cancelled = false
    }

    init(stepID: UInt64, host: PluginHost) {
        self.stepID = stepID
        self.host = host
    }

    /// True once the host abandoned the step (caller hung up or barged in).
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Says `text` to the caller. Keep it short and speakable: it may be read aloud.
    public func say(_ text: String) {
        var text = text
        let status = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                host.raw.pointee.agent_say(host.raw, stepID, $0.baseAddress, $0.count)
            }
        }
        if status != AH_OK { host.log(.warning, "say refused for step \(stepID) (status \(status))") }
    }

    /// Calls a tool and waits for its result. A refused call (not enabled, limit reached) comes
    /// back as a failed result rather than an error, so the agent can tell the caller.
    public func callTool(_ name: String, arguments: JSONValue) async -> ToolResult {
        var argumentsJSON = arguments.jsonString()
        var callID: UInt64 = 0
        let status = argumentsJSON.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { args in
                host.raw.pointee.agent_call_tool(host.raw, stepID, name, args.baseAddress, args.count, &callID)
            }
        }
        guard status == AH_OK else {
            let reason = status == AH_ERR_NOT_PERMITTED
                ? "the tool \(name) is not available here"
                : (status == AH_ERR_LIMIT_EXCEEDED ? "too many tool calls in this turn" : "the tool \(name) could not be called")
            return ToolResult(callID: 0, ok: false, output: reason, status: status)
        }
        return await withCheckedContinuation { continuation in
            let ready: ToolResult? = state.withLock { pending in
                if let result = pending.arrived.removeValue(forKey: callID) { return result }
                pending.waiting[callID] = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Hands the conversation to another agent after this step.
    public func handoff(to agentID: String, reason: String? = nil) {
        let status = host.raw.pointee.agent_handoff(host.raw, stepID, agentID, reason)
        if status != AH_OK { host.log(.warning, "handoff to \(agentID) refused (status \(status))") }
    }

    /// Queues the caller for a human in `department`; the session ends after the step.
    public func escalate(department: String, reason: String? = nil) {
        let status = host.raw.pointee.agent_escalate(host.raw, stepID, department, reason)
        if status != AH_OK { host.log(.warning, "escalation refused (status \(status))") }
    }

    /// Ends the session after this step.
    public func endSession(reason: String? = nil) {
        _ = host.raw.pointee.agent_end_session(host.raw, stepID, reason)
    }

    /// Replaces this agent's scratch state; it comes back as `turn.state` next step.
    public func setState(_ value: JSONValue) {
        var json = value.jsonString()
        _ = json.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                host.raw.pointee.agent_set_state(host.raw, stepID, $0.baseAddress, $0.count)
            }
        }
    }

    // MARK: called by the SDK's C callbacks

    func deliver(_ result: ToolResult) {
        let continuation = state.withLock { pending in
            if let waiter = pending.waiting.removeValue(forKey: result.callID) { return Optional(waiter) }
            pending.arrived[result.callID] = result
            return nil
        }
        continuation?.resume(returning: result)
    }

    func markCancelled() {
        state.withLock { $0.cancelled = true }
    }
}
