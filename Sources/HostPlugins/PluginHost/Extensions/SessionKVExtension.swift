import PluginABI

/// "agent_host.session-kv/1", namespaced by plugin so plugins cannot read each other's values.
nonisolated(unsafe) let sessionKVTable = permanentTable(ah_host_session_kv_t(
    struct_size: UInt32(MemoryLayout<ah_host_session_kv_t>.size),
    get: { host, session, key, reader, user in
        guard let context = InstanceContext.from(host), let session, let key, let reader else { return AH_ERR_INVALID_ARGUMENT }
        guard var value = context.services.sessionValues.get(
            session: String(cString: session), plugin: context.pluginID, key: String(cString: key))
        else { return AH_ERR_NOT_FOUND }
        value.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { reader(user, $0.baseAddress, $0.count) }
        }
        return AH_OK
    },
    set: { host, session, key, value, length in
        guard let context = InstanceContext.from(host), let session, let key else { return AH_ERR_INVALID_ARGUMENT }
        let text = value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) } ?? ""
        let stored = context.services.sessionValues.set(
            session: String(cString: session), plugin: context.pluginID, key: String(cString: key), value: text)
        return stored ? AH_OK : AH_ERR_LIMIT_EXCEEDED
    },
    remove: { host, session, key in
        guard let context = InstanceContext.from(host), let session, let key else { return AH_ERR_INVALID_ARGUMENT }
        context.services.sessionValues.remove(session: String(cString: session), plugin: context.pluginID, key: String(cString: key))
        return AH_OK
    }))
