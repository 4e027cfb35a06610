import HostAudio

extension HostConfiguration {
    static let turnModes = ["server_vad", "semantic"]

    /// `turn_detection: {mode: semantic, min_silence_ms: 250, max_silence_ms: 1200, prosody: true, backchannels: [...]}`
    /// (docs/voice.md, "Semantic turn detection"); `server_vad` (the fixed `silence_ms` window) is
    /// the default, so existing configurations keep their behaviour.
    static func parseSemanticTurns(_ section: ConfigurationMapping, into turnDetection: inout TurnDetection) throws(ConfigurationError) {
        let mode = try section.string("mode") ?? "server_vad"
        guard turnModes.contains(mode) else {
            throw section.fail("mode", "\"\(mode)\" is not one of \(turnModes.joined(separator: ", "))")
        }
        let minimum = try section.int("min_silence_ms", in: 100...5_000)
        let maximum = try section.int("max_silence_ms", in: 200...10_000)
        let backchannels = try section.stringList("backchannels")?.map(\.value) ?? []
        let prosody = try section.bool("prosody") ?? true
        guard mode == "semantic" else {
            for key in ["min_silence_ms", "max_silence_ms", "prosody", "backchannels"] where section.value(key) != nil {
                throw section.fail(key, "applies to mode: semantic only (this tenant's turn detection is server_vad)")
            }
            return
        }
        let settings = SemanticTurnSettings(minimumSilenceMilliseconds: minimum ?? 250, maximumSilenceMilliseconds: maximum ?? 1_200, prosody: prosody)
        guard settings.maximumSilenceMilliseconds == (maximum ?? 1_200) else {
            throw section.fail("max_silence_ms", "must be at least min_silence_ms (\(settings.minimumSilenceMilliseconds))")
        }
        turnDetection.semantic = settings
        turnDetection.backchannels = backchannels
    }
}
