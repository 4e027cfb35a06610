import Glibc
import PluginABI

/// What a runner asks of the host, answered on the runner's loop by calling the instance's own
/// host table (HostTable.swift): an isolated plugin's calls get exactly the checks, routing and
/// extensions an in-process plugin's get.
extension RunnerProcess {
    func handle(_ frame: WireFrame) {
        switch frame.type {
        case Wire.hello: return helloAnswered(frame)
        case Wire.created: return createAnswered(frame)
        default: break
        }
        if frame.type == Wire.toolComplete || frame.type == Wire.refused { callEnded(frame.id) }
        if frame.type == Wire.stepDone || frame.type == Wire.stepRefused { openSteps[frame.id] = nil }
        guard let instance = instances[frame.instance]?.value else {
            // An instance destroyed meanwhile: answer synchronous requests so the plugin goes on.
            if frame.type >= Wire.say && frame.type <= Wire.timerStart || frame.type >= Wire.voiceHint { reply(to: frame, status: AH_ERR_NOT_FOUND) }
            return
        }
        let host = UnsafePointer(instance.hostTable.pointer)
        let table = host.pointee
        switch frame.type {
        case Wire.log:
            frame.text(0).withCString { table.log(host, frame.status, $0) }
        case Wire.toolComplete:
            callEnded(frame.id)
            closeGrace(frame.id)
            withBytes(frame, 0) { table.tool_complete(host, frame.id, frame.status, $0, $1) }
        case Wire.refused:
            callEnded(frame.id)
            closeGrace(frame.id)
            services.router.complete(callID: frame.id, status: frame.status,
                                     output: frame.optionalText(0) ?? "\(instance.descriptor.id) refused the call (status \(frame.status))")
        case Wire.stepDone:
            openSteps[frame.id] = nil
            closeGrace(frame.id)
            withOptional(frame, 0) { table.agent_step_done(host, frame.id, frame.status, $0) }
        case Wire.stepRefused:
            openSteps[frame.id] = nil
            closeGrace(frame.id)
            services.router.closeStep(frame.id)?.refused(status: frame.status,
                                                         message: frame.optionalText(0) ?? "\(instance.descriptor.id) refused the step (status \(frame.status))")
        case Wire.say:
            reply(to: frame, status: withBytes(frame, 0) { table.agent_say(host, frame.arg, $0, $1) })
        case Wire.callTool:
            var callID: UInt64 = 0
            let status = frame.text(0).withCString { name in withBytes(frame, 1) { table.agent_call_tool(host, frame.arg, name, $0, $1, &callID) } }
            reply(to: frame, status: status, arg: callID)
        case Wire.handoff:
            reply(to: frame, status: withOptional(frame, 0) { agent in withOptional(frame, 1) { table.agent_handoff(host, frame.arg, agent, $0) } })
        case Wire.escalate:
            reply(to: frame, status: withOptional(frame, 0) { department in withOptional(frame, 1) { table.agent_escalate(host, frame.arg, department, $0) } })
        case Wire.endSession:
            reply(to: frame, status: withOptional(frame, 0) { table.agent_end_session(host, frame.arg, $0) })
        case Wire.setState:
            reply(to: frame, status: withBytes(frame, 0) { table.agent_set_state(host, frame.arg, $0, $1) })
        case Wire.kvGet, Wire.kvSet, Wire.kvRemove:
            sessionValue(frame, host)
        case Wire.metric:
            metric(frame, host)
        case Wire.httpRequest, Wire.httpCancel:
            http(frame, host)
        case Wire.timerStart, Wire.timerCancel:
            timer(frame, host)
        case Wire.voiceHint, Wire.catalogSubscribe, Wire.catalogFetch, Wire.dtmfSend:
            draft(frame, host)
        default:
            kill(because: "it sent frame type \(frame.type), which only the host sends")
        }
    }

    private func sessionValue(_ frame: WireFrame, _ host: UnsafePointer<ah_host_t>) {
        guard let raw = host.pointee.get_extension(host, AH_EXT_SESSION_KV) else { return reply(to: frame, status: AH_ERR_NOT_PERMITTED) }
        let kv = raw.assumingMemoryBound(to: ah_host_session_kv_t.self).pointee
        let session = frame.text(0), key = frame.text(1)
        switch frame.type {
        case Wire.kvGet:
            final class Box { var value: [UInt8] = [] }
            let box = Box()
            let status = session.withCString { s in key.withCString { k in
                kv.get(host, s, k, { data, value, length in
                    guard let data else { return }
                    let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
                    box.value = value.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
                }, Unmanaged.passUnretained(box).toOpaque())
            } }
            reply(to: frame, status: status, status == AH_OK ? [box.value] : [])
        case Wire.kvSet:
            reply(to: frame, status: session.withCString { s in key.withCString { k in withBytes(frame, 2) { kv.set(host, s, k, $0, $1) } } })
        default:
            reply(to: frame, status: session.withCString { s in key.withCString { kv.remove(host, s, $0) } })
        }
    }

    private func metric(_ frame: WireFrame, _ host: UnsafePointer<ah_host_t>) {
        guard let raw = host.pointee.get_extension(host, AH_EXT_METRICS) else { return }
        let metrics = raw.assumingMemoryBound(to: ah_host_metrics_t.self).pointee
        let copies = CStrings(frame.fields)
        defer { copies.free() }
        let strings = Array(copies.pointers.prefix(frame.fields.count))
        guard let name = strings.first else { return }
        var labels: [ah_metric_label_t] = []
        var index = 1
        while index + 1 < strings.count {
            labels.append(ah_metric_label_t(name: strings[index], value: strings[index + 1]))
            index += 2
        }
        let value = Double(bitPattern: frame.arg)
        let status = labels.withUnsafeBufferPointer { list in
            switch frame.status {
            case 0: return metrics.counter_add(host, name, list.baseAddress, UInt32(list.count), value)
            case 1: return metrics.gauge_set(host, name, list.baseAddress, UInt32(list.count), value)
            default: return metrics.histogram_observe(host, name, list.baseAddress, UInt32(list.count), value)
            }
        }
        if status != AH_OK {
            services.logger.log(.warning, "plugin \(label) tenant \(tenantID)", "metric \(frame.text(0)) refused (status \(status))")
        }
    }

    /// [thread-safe] Carries an HTTP or timer callback from the host's loop back to the runner.
    final class Callback: @unchecked Sendable {
        // @unchecked: immutable.
        weak var runner: RunnerProcess?
        let generation: Int
        let requestID: UInt64
        init(_ runner: RunnerProcess, _ requestID: UInt64) {
            self.runner = runner
            self.generation = runner.generation
            self.requestID = requestID
        }

        func deliver(_ frame: WireFrame) {
            guard let runner else { return }
            runner.onLoop {
                guard runner.generation == self.generation else { return }  // for a runner that has since died
                runner.enqueue(frame)
            }
        }
    }
}

/// Passes field `index` as (pointer, length), NUL-terminated.
func withBytes<R>(_ frame: WireFrame, _ index: Int, _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
    let field = index < frame.fields.count ? frame.fields[index] : []
    return (field + [0]).withUnsafeBufferPointer { bytes in
        bytes.withMemoryRebound(to: CChar.self) { body($0.baseAddress, field.count) }
    }
}

/// Passes field `index` as a C string, or NULL when it is absent or empty.
func withOptional<R>(_ frame: WireFrame, _ index: Int, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text = frame.optionalText(index) else { return body(nil) }
    return text.withCString { body($0) }
}
