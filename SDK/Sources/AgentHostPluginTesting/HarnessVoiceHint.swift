import PluginABI

/// The harness's "agent_host.voice-hint.draft/0": records the hint as a step action, with the
/// host's checks (known kind, length at most 32, open step). The harness offers no catalog draft:
/// a test passes the catalog in the step context, as a 1.0 host does.
nonisolated(unsafe) let harnessVoiceHint: UnsafeMutablePointer<ah_host_voice_hint_t> = {
    let table = UnsafeMutablePointer<ah_host_voice_hint_t>.allocate(capacity: 1)
    table.initialize(to: ah_host_voice_hint_t(
        struct_size: UInt32(MemoryLayout<ah_host_voice_hint_t>.size),
        expect: { host, step, kind, length, _ in
            let name = kind.map { String(cString: $0) } ?? AH_VOICE_EXPECT_TEXT
            guard [AH_VOICE_EXPECT_TEXT, AH_VOICE_EXPECT_ORDER_ID, AH_VOICE_EXPECT_DIGITS, AH_VOICE_EXPECT_YES_NO].contains(name),
                  length <= 32 else { return AH_ERR_INVALID_ARGUMENT }
            return HarnessHostTable.recorder(host, step)?.record(.expect(kind: name, length: Int(length))) ?? AH_ERR_NOT_FOUND
        }))
    return table
}()
