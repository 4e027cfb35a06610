import Glibc
import HostSupport
import PluginABI

/// One instance's `ah_host_t`: the C table a plugin calls back through. The functions are shared
/// statics; everything instance-specific is reached through `host_data` (an InstanceContext).
/// Allocated when the instance is created, freed after the instance is destroyed.
final class HostTable {
    let pointer: UnsafeMutablePointer<ah_host_t>
    let context: InstanceContext
    private let strings: [UnsafeMutablePointer<CChar>]

    init(context: InstanceContext) {
        self.context = context
        let hostName = strdup(HostInfo.name)!
        let hostVersion = strdup(HostInfo.version)!
        let tenant = strdup(context.tenantID)!
        strings = [hostName, hostVersion, tenant]
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: ah_host_t(
            struct_size: UInt32(MemoryLayout<ah_host_t>.size),
            abi_major: HostInfo.abiMajor,
            abi_minor: HostInfo.abiMinor,
            host_name: hostName,
            host_version: hostVersion,
            tenant_id: tenant,
            host_data: Unmanaged.passRetained(context).toOpaque(),
            log: hostLog,
            get_extension: hostGetExtension,
            tool_complete: hostToolComplete,
            agent_say: agentSay,
            agent_call_tool: agentCallTool,
            agent_handoff: agentHandoff,
            agent_escalate: agentEscalate,
            agent_end_session: agentEndSession,
            agent_set_state: agentSetState,
            agent_step_done: agentStepDone))
    }

    deinit {
        if let data = pointer.pointee.host_data { Unmanaged<InstanceContext>.fromOpaque(data).release() }
        pointer.deinitialize(count: 1).deallocate()
        strings.forEach { free($0) }
    }
}

// MARK: - the C functions (each [thread-safe] per host.h)

@inline(__always)
private func text(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
    guard let pointer, length > 0 else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
}

private let hostLog: @convention(c) (UnsafePointer<ah_host_t>?, Int32, UnsafePointer<CChar>?) -> Void = { host, level, message in
    guard let context = InstanceContext.from(host), let message else { return }
    let mapped: Logger.Level = level <= AH_LOG_DEBUG ? .debug : (level == AH_LOG_INFO ? .info : (level == AH_LOG_WARNING ? .warning : .error))
    context.log(mapped, String(cString: message))
}

private let hostGetExtension: @convention(c) (UnsafePointer<ah_host_t>?, UnsafePointer<CChar>?) -> UnsafeRawPointer? = { host, id in
    guard let context = InstanceContext.from(host), let id else { return nil }
    return context.grantedTables[String(cString: id)]?.pointer
}

private let hostToolComplete: @convention(c) (UnsafePointer<ah_host_t>?, UInt64, ah_status_t, UnsafePointer<CChar>?, Int) -> Void = { host, callID, status, output, length in
    guard let context = InstanceContext.from(host) else { return }
    let router = context.services.router
    if !router.complete(callID: callID, status: status, output: text(output, length)) {
        if router.wasCancelled(callID) {
            context.services.metrics.increment("agent_host_late_tool_completions_total", labels: ["plugin": context.pluginID])
            context.log(status == AH_ERR_CANCELLED ? .info : .warning,
                        "tool_complete for call \(callID) dropped: the host cancelled that call (its step timed out or its session ended)")
        } else {
            context.log(.warning, "tool_complete for unknown or already completed call \(callID) ignored")
        }
    }
}

/// Looks up the open step's sink, or answers AH_ERR_NOT_FOUND (step done, cancelled or unknown).
@inline(__always)
private func withSink(_ host: UnsafePointer<ah_host_t>?, _ stepID: UInt64, _ body: (any StepSink) -> ah_status_t) -> ah_status_t {
    guard let context = InstanceContext.from(host) else { return AH_ERR_INVALID_ARGUMENT }
    guard let sink = context.services.router.sink(for: stepID) else { return AH_ERR_NOT_FOUND }
    return body(sink)
}

private let agentSay: @convention(c) (UnsafePointer<ah_host_t>?, UInt64, UnsafePointer<CChar>?, Int) -> ah_status_t = { host, step, message, length in
    withSink(host, step) { $0.say(text(message, length)) }
}

private let agentCallTool: @convention(c) (UnsafePointer<ah_host_t>?, UInt64, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UInt64>?) -> ah_status_t = { host, step, name, arguments, length, callID in
    guard let name else { return AH_ERR_INVALID_ARGUMENT }
    return withSink(host, step) { sink in
        let (status, id) = sink.callTool(String(cString: name), argumentsJSON: length > 0 ? text(arguments, length) : "{}")
        if status == AH_OK { callID?.pointee = id }
        return status
    }
}

private let agentHandoff: @convention(c) (UnsafePointer<ah_host_t>?, UInt64, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> ah_status_t = { host, step, agent, reason in
    guard let agent else { return AH_ERR_INVALID_ARGUMENT }
    return withSink(host, step) { $0.handoff(to: String(cString: agent), reason: reason.map { String(cString: $0) }) }
}

private let agentEscalate: @convention(c) (UnsafePointer<ah_host_t>?, UInt64, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> ah_status_t = { host, step, department, reason in
    withSink(host, step) {
        $0.escalate(department: department.map { String(cString: $0) } ?? "general", reason: reason.map { String(cString: $0) })
    }
}

private let agentEndSession: @convention(c) (UnsafePointer<ah_host_t>?, UInt64, UnsafePointer<CChar>?) -> ah_status_t = { host, step, reason in
    withSink(host, step) { $0.endSession(reason: reason.map { String(cString: $0) }) }
}

private let agentSetState: @convention(c) (UnsafePointer<ah_host_t>?, UInt64, UnsafePointer<CChar>?, Int) -> ah_status_t = { host, step, state, length in
    withSink(host, step) { $0.setState(length > 0 ? text(state, length) : "null") }
}

private let agentStepDone: @convention(c) (UnsafePointer<ah_host_t>?, UInt64, ah_status_t, UnsafePointer<CChar>?) -> Void = { host, step, status, message in
    guard let context = InstanceContext.from(host) else { return }
    guard let sink = context.services.router.closeStep(step) else {
        context.log(.warning, "agent_step_done for unknown or finished step \(step) ignored")
        return
    }
    sink.stepDone(status: status, message: message.map { String(cString: $0) })
}
