import PluginABI

/// "agent_host.voice-hint.draft/0" (ext/draft/voice_hint.h): the open step's sink records the hint.
nonisolated(unsafe) let voiceHintTable: UnsafeMutablePointer<ah_host_voice_hint_t> = permanentTable(ah_host_voice_hint_t(
    struct_size: UInt32(MemoryLayout<ah_host_voice_hint_t>.size),
    expect: { host, stepID, kind, length, errorOut in
        guard let context = InstanceContext.from(host) else { return AH_ERR_INVALID_ARGUMENT }
        let hint: VoiceHint
        do throws(VoiceHint.Refusal) {
            hint = try VoiceHint.parse(kind: kind.map { String(cString: $0) }, length: length)
        } catch {
            writeError(error.message, to: errorOut)
            return AH_ERR_INVALID_ARGUMENT
        }
        guard let sink = context.services.router.sink(for: stepID) as? VoiceHintSink else { return AH_ERR_NOT_FOUND }
        return sink.expect(hint)
    }))
