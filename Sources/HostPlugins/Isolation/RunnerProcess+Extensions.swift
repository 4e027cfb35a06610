import Glibc
import HostSupport
import PluginABI

/// The http and timer extensions for isolated plugins: the host runs the request or timer through
/// the instance's own extension table and sends the callback back to the runner as a frame.
extension RunnerProcess {
    func http(_ frame: WireFrame, _ host: UnsafePointer<ah_host_t>) {
        guard let raw = host.pointee.get_extension(host, AH_EXT_HTTP) else {
            if frame.type == Wire.httpRequest { reply(to: frame, status: AH_ERR_NOT_PERMITTED, [Array("agent_host.http/1 is not granted".utf8)]) }
            return
        }
        let http = raw.assumingMemoryBound(to: ah_host_http_t.self).pointee
        guard frame.type == Wire.httpRequest else { return http.cancel(host, frame.id) }
        let strings = CStrings(frame.fields)
        defer { strings.free() }
        var headers: [ah_http_header_t] = []
        var index = 4
        while index + 1 < strings.pointers.count {
            headers.append(ah_http_header_t(name: strings.pointers[index], value: strings.pointers[index + 1]))
            index += 2
        }
        // A trailing odd field: the tool call the plugin was running when it asked (wire.h), whose
        // trace the request joins.
        let trace = index < strings.pointers.count ? UInt64(frame.text(index)).flatMap { callTraces[$0] } : nil
        let box = Unmanaged.passRetained(Callback(self, frame.id))
        var requestID: UInt64 = 0
        var error = ah_error_t()
        let status = headers.withUnsafeBufferPointer { list in
            var request = ah_http_request_t(
                struct_size: UInt32(MemoryLayout<ah_http_request_t>.size), method: strings.pointers[0], url: strings.pointers[1],
                headers: list.baseAddress, header_count: UInt32(list.count),
                body: frame.text(3) == "1" ? UnsafePointer(strings.pointers[2]) : nil, body_len: frame.fields.count > 2 ? frame.fields[2].count : 0,
                timeout_ms: UInt32(truncatingIfNeeded: frame.arg))
            return AmbientTrace.with(trace) { http.request(host, &request, { data, response in
                guard let data else { return }
                let callback = Unmanaged<Callback>.fromOpaque(data).takeRetainedValue()
                guard let r = response?.pointee else { return }
                var fields: [[UInt8]] = [
                    r.body.map { Array(UnsafeRawBufferPointer(start: $0, count: r.body_len)) } ?? [],
                    r.error_message.map { Array(String(cString: $0).utf8) } ?? [],
                ]
                for i in 0..<Int(r.header_count) {
                    guard let header = r.headers?[i] else { break }
                    fields.append(Array(String(cString: header.name).utf8))
                    fields.append(Array(String(cString: header.value).utf8))
                }
                callback.deliver(WireFrame(type: Wire.httpResponse, id: callback.requestID, arg: UInt64(UInt32(bitPattern: r.http_status)),
                                           status: r.status, fields: Array(fields.prefix(Wire.maxFields))))
            }, box.toOpaque(), &requestID, &error) }
        }
        if status != AH_OK { box.release() }
        reply(to: frame, status: status, arg: requestID, status == AH_OK ? [] : [Array(PluginLoader.message(&error, default: "refused").utf8)])
    }

    func timer(_ frame: WireFrame, _ host: UnsafePointer<ah_host_t>) {
        guard let raw = host.pointee.get_extension(host, AH_EXT_TIMER) else {
            if frame.type == Wire.timerStart { reply(to: frame, status: AH_ERR_NOT_PERMITTED, [Array("agent_host.timer/1 is not granted".utf8)]) }
            return
        }
        let timers = raw.assumingMemoryBound(to: ah_host_timer_t.self).pointee
        guard frame.type == Wire.timerStart else { return timers.cancel(host, frame.id) }
        let box = Unmanaged.passRetained(Callback(self, frame.id))
        var timerID: UInt64 = 0
        var error = ah_error_t()
        let status = timers.start(host, frame.arg, { data, _, cancelled in
            guard let data else { return }
            let callback = Unmanaged<Callback>.fromOpaque(data).takeRetainedValue()
            callback.deliver(WireFrame(type: Wire.timerFired, id: callback.requestID, status: cancelled))
        }, box.toOpaque(), &timerID, &error)
        if status != AH_OK { box.release() }
        reply(to: frame, status: status, arg: timerID, status == AH_OK ? [] : [Array(PluginLoader.message(&error, default: "refused").utf8)])
    }
}

/// NUL-terminated copies of a frame's fields, for C structs that point at strings.
struct CStrings {
    let pointers: [UnsafeMutablePointer<CChar>]

    init(_ fields: [[UInt8]]) {
        pointers = fields.map { field in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: field.count + 1)
            field.withUnsafeBytes { raw in if let base = raw.baseAddress { memcpy(copy, base, field.count) } }
            copy[field.count] = 0
            return copy
        } + (fields.count < 4 ? (fields.count..<4).map { _ in
            let empty = UnsafeMutablePointer<CChar>.allocate(capacity: 1); empty[0] = 0; return empty
        } : [])
    }

    func free() { pointers.forEach { $0.deallocate() } }
}
