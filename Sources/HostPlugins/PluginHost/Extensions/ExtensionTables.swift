import PluginABI

/// The static service tables behind `get_extension`. One table per extension for the whole
/// process; the instance comes from the `host` argument of each call.
enum ExtensionTables {
    static func table(for id: String) -> UnsafeRawPointer? {
        switch id {
        case AH_EXT_SESSION_KV: return UnsafeRawPointer(sessionKVTable)
        case AH_EXT_METRICS: return UnsafeRawPointer(metricsTable)
        case AH_EXT_TIMER: return UnsafeRawPointer(timerTable)
        case AH_EXT_HTTP: return UnsafeRawPointer(httpTable)
        case AH_EXT_VOICE_HINT_DRAFT: return UnsafeRawPointer(voiceHintTable)
        case AH_EXT_CATALOG_DRAFT: return UnsafeRawPointer(catalogTable)
        case AH_EXT_DTMF_DRAFT: return UnsafeRawPointer(dtmfDraftTable)
        default: return nil
        }
    }

    /// The draft extensions (ext/draft/) give a plugin nothing its step contexts do not already
    /// carry, only another channel for it, so every instance gets them: no tenant grant needed.
    static let ungated: Set<String> = [AH_EXT_VOICE_HINT_DRAFT, AH_EXT_CATALOG_DRAFT]
}

/// Allocates a table once; it is never freed (plugins may hold the pointer until shutdown).
func permanentTable<T>(_ value: T) -> UnsafeMutablePointer<T> {
    let pointer = UnsafeMutablePointer<T>.allocate(capacity: 1)
    pointer.initialize(to: value)
    return pointer
}
