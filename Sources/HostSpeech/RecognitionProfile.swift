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
    /// phone-loop lookahead): the behaviour before profiles existed, and the default.
    case accurate
    /// Cheaper decoding measured to recognise wideband speech of the tenant's requests as well
    /// as `accurate` (see `decoderOptions` for the flag's reason; `standard` for phone calls).
    case fast

    /// The host's default: still `accurate`. `fast` decodes wideband speech as well for a third
    /// less CPU (docs/benchmarks.md, "Recognition profiles"), but on a SIP call (8 kHz audio,
    /// a phone-warmed decoder) it heard the first request "I need a refund…" as "one"
    /// (SIPCallTests), which `accurate` hears right: until phone audio is measured on a
    /// labelled set, tenants opt in with `voice.recognition: fast`.
    public static let standard = RecognitionProfile.accurate

    /// Decoder arguments this profile adds to `-hmm/-lm/-dict/-samprate` (flag → value).
    public var decoderOptions: [String: String] {
        switch self {
        case .accurate:
            return [:]
        case .fast:
            // No second, flat-lexicon Viterbi pass at the utterance's end: it rewinds the
            // utterance and scores every frame's Gaussians again. With a tenant's small
            // language model the tree pass plus the best-path lattice search find the same
            // words (measured on the labelled utterances, three voices: 556 vs 553 word errors
            // in 1,182, 23 vs 23 utterances exact) for a third less CPU per second of speech.
            // Measured and left out, because they lost words: `-bestpath no` (+42 errors),
            // `-ds 2` (+97), `-topn 2` (+56); `-pl_window 0` saved nothing.
            return ["-fwdflat": "no"]
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
