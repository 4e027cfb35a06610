import PluginABI

/// The draft extensions for isolated plugins (wire revisions 3 and 4): each request is answered
/// by calling the instance's own host-side table, so an isolated plugin's hints, catalog fetches
/// and keypad digits get exactly the in-process checks and data.
extension RunnerProcess {
    func draft(_ frame: WireFrame, _ host: UnsafePointer<ah_host_t>) {
        var error = ah_error_t()
        switch frame.type {
        case Wire.voiceHint:
            guard let raw = host.pointee.get_extension(host, AH_EXT_VOICE_HINT_DRAFT) else { return reply(to: frame, status: AH_ERR_UNSUPPORTED) }
            let hints = raw.assumingMemoryBound(to: ah_host_voice_hint_t.self).pointee
            let length = UInt32(clamping: max(frame.status, 0))
            let status = withOptional(frame, 0) { hints.expect(host, frame.arg, $0, length, &error) }
            reply(to: frame, status: status, status == AH_OK ? [] : [Array(PluginLoader.message(&error, default: "refused").utf8)])
        case Wire.dtmfSend:
            // The table exists only when the tenant granted the draft (the runner offers it then too).
            guard let raw = host.pointee.get_extension(host, AH_EXT_DTMF_DRAFT) else { return reply(to: frame, status: AH_ERR_NOT_PERMITTED) }
            let dtmf = raw.assumingMemoryBound(to: ah_host_dtmf_draft0_t.self).pointee
            let digits = frame.fields.count > 1 ? frame.fields[1] : []
            let status = frame.text(0).withCString { session in
                (digits + [0]).withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { dtmf.send_digits(host, session, $0.baseAddress, digits.count) }
                }
            }
            reply(to: frame, status: status)
        case Wire.catalogSubscribe:
            guard let raw = host.pointee.get_extension(host, AH_EXT_CATALOG_DRAFT) else { return reply(to: frame, status: AH_ERR_UNSUPPORTED) }
            reply(to: frame, status: raw.assumingMemoryBound(to: ah_host_catalog_t.self).pointee.subscribe(host, &error))
        default:
            guard let raw = host.pointee.get_extension(host, AH_EXT_CATALOG_DRAFT) else { return reply(to: frame, status: AH_ERR_UNSUPPORTED) }
            final class Box { var json: [UInt8] = [] }
            let box = Box()
            let status = frame.text(0).withCString { version in
                raw.assumingMemoryBound(to: ah_host_catalog_t.self).pointee.fetch(host, version, { data, json, length in
                    guard let data, let json else { return }
                    Unmanaged<Box>.fromOpaque(data).takeUnretainedValue().json = Array(UnsafeRawBufferPointer(start: json, count: length))
                }, Unmanaged.passUnretained(box).toOpaque(), &error)
            }
            reply(to: frame, status: status, [status == AH_OK ? box.json : Array(PluginLoader.message(&error, default: "refused").utf8)])
        }
    }
}
