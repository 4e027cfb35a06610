import CPocketSphinx

/// How hard pocketsphinx works per second of a caller's speech: a tenant's `voice.recognition:`
/// (docs/voice.md, "Recognition profiles"). A named setting, not raw decoder flags, so the host can measure and
/// document each profile (docs/benchmarks.md, "Recognition profiles") and a tenant cannot
/// configure a decoder nobody evaluated.
///
/// Why it matters: on full offline calls the acoustic model's Gaussian scoring of every 10 ms
/// frame (`ptm_mgau_frame_eval`) is about half of the host's CPU, and it is what bounds how many
/// calls a machine carries (docs/benchmarks.md, "What limits full offline calls").
public enum RecognitionProfile: String, Sendable, Equatable, CaseIterable {
    /// pocketsphinx's own defaults (every frame scored, fwdflat + bestpath rescoring passes,
    /// phone-loop lookahead): the behaviour before profiles existed.
    case accurate
    /// Cheaper decoding measured to recognise the tenant's requests as well as `accurate`
    /// (see `decoderOptions` for each flag's reason).
    case fast

    /// The host's default (justified by the measurements in docs/benchmarks.md).
    public static let standard = RecognitionProfile.fast

    /// Decoder arguments this profile adds to `-hmm/-lm/-dict/-samprate` (flag → value).
    public var decoderOptions: [String: String] {
        switch self {
        case .accurate:
            return [:]
        case .fast:
            return [
                // No second, flat-lexicon pass over the utterance at its end: with a tenant's
                // small language model the tree pass already finds the same words, and fwdflat
                // scores the utterance's frames again.
                "-fwdflat": "no",
                // No lattice best-path rescoring at the end of the utterance (same reason).
                "-bestpath": "no",
            ]
        }
    }
}

extension SphinxDecoder {
    /// An integer or boolean setting as the decoder was created with (e.g. "-ds", "-topn",
    /// "-fwdflat": 1 = yes), read back from the engine's own configuration: tests check that
    /// a profile reached the decoder, not only the argument list. nil for an unknown name.
    func integerSetting(_ name: String) -> Int? {
        guard let config = ps_get_config(pointer), let value = cmd_ln_access_r(config, name) else { return nil }
        return Int(value.pointee.i)
    }

    /// A floating-point setting as the decoder was created with (e.g. "-beam"); nil when unknown.
    func floatSetting(_ name: String) -> Double? {
        guard let config = ps_get_config(pointer), let value = cmd_ln_access_r(config, name) else { return nil }
        return value.pointee.fl
    }
}
