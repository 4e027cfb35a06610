import Foundation
import Glibc
import PluginABI
import Synchronization

/// The harness's `ah_host_t`: the same contract as the real host's, recording instead of routing.
enum HarnessHostTable {
    static func make(tenant: String) -> UnsafeMutablePointer<ah_host_t> {
        let table = UnsafeMutablePointer<ah_host_t>.allocate(capacity: 1)
        table.initialize(to: ah_host_t(
            struct_size: UInt32(MemoryLayout<ah_host_t>.size),
            abi_major: UInt16(AH_ABI_VERSION_MAJOR), abi_minor: UInt16(AH_ABI_VERSION_MINOR),
            host_name: UnsafePointer(strdup("agent-host-plugin-testing")), host_version: UnsafePointer(strdup("1.0.0")),
            tenant_id: UnsafePointer(strdup(tenant)), host_data: nil,
            log: { host, level, message in
                guard let harness = PluginHarness.from(host), let message else { return }
                harness.state.withLock { $0.logLines.append("[\(level)] \(String(cString: message))") }
            },
            get_extension: { host, id in
                guard let id else { return nil }
                switch String(cString: id) {
                case AH_EXT_SESSION_KV: return UnsafeRawPointer(harnessKV)
                case AH_EXT_TIMER: return UnsafeRawPointer(harnessTimer)
                case AH_EXT_HTTP: return PluginHarness.from(host)?.grantsHTTP == true ? UnsafeRawPointer(harnessHTTP) : nil
                case AH_EXT_VOICE_HINT_DRAFT: return UnsafeRawPointer(harnessVoiceHint)
                default: return nil
                }
            },
            tool_complete: { host, callID, status, output, length in
                guard let harness = PluginHarness.from(host) else { return }
                let text = output.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) } ?? ""
                if !harness.services.completeCall(callID, status: status, output: text) {
                    harness.state.withLock { $0.logLines.append("[harness] duplicate or unknown completion for call \(callID)") }
                }
            },
            agent_say: { host, step, text, length in
                HarnessHostTable.recorder(host, step)?.record(.say(HarnessHostTable.string(text, length))) ?? AH_ERR_NOT_FOUND
            },
            agent_call_tool: { host, step, name, arguments, length, outID in
                guard let recorder = HarnessHostTable.recorder(host, step), let name, let harness = PluginHarness.from(host) else { return AH_ERR_NOT_FOUND }
                let callID = harness.services.nextID()
                let status = recorder.callTool(String(cString: name), arguments: HarnessHostTable.string(arguments, length), callID: callID)
                if status == AH_OK { outID?.pointee = callID }
                return status
            },
            agent_handoff: { host, step, target, reason in
                HarnessHostTable.recorder(host, step)?.record(.handoff(to: target.map { String(cString: $0) } ?? "", reason: reason.map { String(cString: $0) })) ?? AH_ERR_NOT_FOUND
            },
            agent_escalate: { host, step, department, reason in
                HarnessHostTable.recorder(host, step)?.record(.escalate(department: department.map { String(cString: $0) } ?? "", reason: reason.map { String(cString: $0) })) ?? AH_ERR_NOT_FOUND
            },
            agent_end_session: { host, step, reason in
                HarnessHostTable.recorder(host, step)?.record(.endSession(reason: reason.map { String(cString: $0) })) ?? AH_ERR_NOT_FOUND
            },
            agent_set_state: { host, step, state, length in
                HarnessHostTable.recorder(host, step)?.record(.setState(HarnessHostTable.string(state, length))) ?? AH_ERR_NOT_FOUND
            },
            agent_step_done: { host, step, status, message in
                guard let harness = PluginHarness.from(host),
                      let recorder = harness.state.withLock({ $0.steps.removeValue(forKey: step) }) else { return }
                recorder.finish(status: status, message: message.map { String(cString: $0) })
            }))
        return table
    }

    static func string(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
        pointer.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) } ?? ""
    }

    static func recorder(_ host: UnsafePointer<ah_host_t>?, _ step: UInt64) -> StepRecorder? {
        PluginHarness.from(host)?.state.withLock { $0.steps[step] }
    }
}

private func key(_ session: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?) -> String? {
    guard let session, let name else { return nil }
    return String(cString: session) + "/" + String(cString: name)
}

/// Per-session key/value for the harness (one namespace: a harness drives one plugin file).
nonisolated(unsafe) private let harnessKV: UnsafeMutablePointer<ah_host_session_kv_t> = {
    let table = UnsafeMutablePointer<ah_host_session_kv_t>.allocate(capacity: 1)
    table.initialize(to: ah_host_session_kv_t(
        struct_size: UInt32(MemoryLayout<ah_host_session_kv_t>.size),
        get: { host, session, name, reader, user in
            guard let harness = PluginHarness.from(host), let k = key(session, name), let reader else { return AH_ERR_INVALID_ARGUMENT }
            guard let value = harness.services.values.withLock({ $0[k] }) else { return AH_ERR_NOT_FOUND }
            value.withCString { reader(user, $0, strlen($0)) }
            return AH_OK
        },
        set: { host, session, name, value, length in
            guard let harness = PluginHarness.from(host), let k = key(session, name) else { return AH_ERR_INVALID_ARGUMENT }
            harness.services.values.withLock { $0[k] = HarnessHostTable.string(value, length) }
            return AH_OK
        },
        remove: { host, session, name in
            guard let harness = PluginHarness.from(host), let k = key(session, name) else { return AH_ERR_INVALID_ARGUMENT }
            harness.services.values.withLock { _ = $0.removeValue(forKey: k) }
            return AH_OK
        }))
    return table
}()

/// Timers for the harness, on a background queue (callbacks may run on any thread here). Each
/// timer's callback runs exactly once: when it fires, or with cancelled = 1 when cancelled first.
nonisolated(unsafe) private let harnessTimer: UnsafeMutablePointer<ah_host_timer_t> = {
    let table = UnsafeMutablePointer<ah_host_timer_t>.allocate(capacity: 1)
    table.initialize(to: ah_host_timer_t(
        struct_size: UInt32(MemoryLayout<ah_host_timer_t>.size),
        start: { host, delay, callback, user, outID, _ in
            guard let harness = PluginHarness.from(host), let callback else { return AH_ERR_INVALID_ARGUMENT }
            let id = harness.services.nextID()
            outID?.pointee = id
            pendingTimers.withLock { $0[id] = TimerContext(callback: callback, user: user) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(delay))) {
                fireTimer(id, cancelled: false)
            }
            return AH_OK
        },
        cancel: { _, id in fireTimer(id, cancelled: true) }))
    return table
}()

private let pendingTimers = Mutex<[UInt64: TimerContext]>([:])

/// Runs a pending timer's callback once; later calls for the same id do nothing.
private func fireTimer(_ id: UInt64, cancelled: Bool) {
    guard let context = pendingTimers.withLock({ $0.removeValue(forKey: id) }) else { return }
    context.callback(context.user, id, cancelled ? 1 : 0)
}

private struct TimerContext: @unchecked Sendable {
    // @unchecked: `user` is the plugin's opaque pointer, only handed back to its own callback.
    let callback: ah_timer_callback_t
    let user: UnsafeMutableRawPointer?
}
