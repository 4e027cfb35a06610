import Foundation
import PluginABI
import Synchronization

/// Pending tool calls, ids, per-session values and metrics of one harness.
final class HarnessServices: Sendable {
    private let counter = Atomic<UInt64>(1)
    private let calls = Mutex<[UInt64: @Sendable (ah_status_t, String) -> Void]>([:])
    let values = Mutex<[String: String]>([:])
    let metrics = Mutex<[String: Double]>([:])
    /// HTTP requests in flight (only with `grantHTTP`), by request id.
    let httpCalls = Mutex<[UInt64: HarnessHTTP.Call]>([:])

    func nextID() -> UInt64 { counter.wrappingAdd(1, ordering: .relaxed).oldValue }

    func expectCall(_ id: UInt64, _ completion: @escaping @Sendable (ah_status_t, String) -> Void) {
        calls.withLock { $0[id] = completion }
    }

    /// Delivers a completion once; a second completion for the same id is reported as a bug.
    @discardableResult
    func completeCall(_ id: UInt64, status: ah_status_t, output: String) -> Bool {
        guard let completion = calls.withLock({ $0.removeValue(forKey: id) }) else { return false }
        completion(status, output)
        return true
    }
}

/// Records one agent step's actions and runs its tool calls.
final class StepRecorder: @unchecked Sendable {
    // @unchecked: `actions` and `finished` are guarded by `lock`; the C pointers are immutable.
    let stepID: UInt64
    let instance: UnsafePointer<ah_plugin_t>
    let agent: UnsafePointer<ah_agent_t>
    unowned let harness: PluginHarness
    private let lock = Mutex(())
    private var actions: [PluginHarness.Action] = []
    private var finished = false
    private let onFinish: @Sendable (PluginHarness.StepRecord) -> Void

    init(stepID: UInt64, instance: UnsafePointer<ah_plugin_t>, agent: UnsafePointer<ah_agent_t>, harness: PluginHarness,
         onFinish: @escaping @Sendable (PluginHarness.StepRecord) -> Void) {
        self.stepID = stepID
        self.instance = instance
        self.agent = agent
        self.harness = harness
        self.onFinish = onFinish
    }

    func record(_ action: PluginHarness.Action) -> ah_status_t {
        lock.withLock { _ in
            guard !finished else { return AH_ERR_NOT_FOUND }
            actions.append(action)
            return AH_OK
        }
    }

    /// Runs an agent's tool call against the harness's loaded tools or its toolHandler, then
    /// delivers the result through the agent's on_tool_result (asynchronously, as a host would).
    func callTool(_ name: String, arguments: String, callID: UInt64) -> ah_status_t {
        guard record(.toolCall(name: name, arguments: arguments)) == AH_OK else { return AH_ERR_NOT_FOUND }
        let harness = self.harness
        let provided = harness.components.contains { $0.toolName == name }
        guard provided || harness.toolHandler != nil else { return AH_ERR_NOT_PERMITTED }
        Task.detached { [self] in
            let (ok, output): (Bool, String)
            if provided, let result = try? await harness.callTool(name, arguments: arguments) {
                (ok, output) = (result.ok, result.output)
            } else if let handler = harness.toolHandler {
                (ok, output) = handler(name, arguments)
            } else {
                (ok, output) = (false, "tool \(name) failed")
            }
            _ = record(.toolResult(name: name, ok: ok, output: output))
            output.withCString { agent.pointee.on_tool_result(instance, stepID, callID, ok ? AH_OK : AH_ERR_FAILED, $0, strlen($0)) }
        }
        return AH_OK
    }

    func finish(status: ah_status_t, message: String?) {
        let record: PluginHarness.StepRecord? = lock.withLock { _ in
            guard !finished else { return nil }
            finished = true
            return PluginHarness.StepRecord(actions: actions, status: status, message: message)
        }
        if let record { onFinish(record) }
    }
}
