import CPocketSphinx

/// The decoder's live cepstral mean: what pocketsphinx normalises features with, updated from
/// everything the decoder has heard (`cmn_live_update` at each utterance's end). A decoder shared
/// by many calls (the overlap judge) would otherwise carry one call's channel into the next and
/// hear the same audio differently depending on what an unrelated call said before.
extension SphinxDecoder {
    /// The current live mean (one value per cepstral coefficient).
    func cepstralMean() -> [Float] {
        guard let feat = ps_get_feat(pointer), let cmn = feat.pointee.cmn_struct else { return [] }
        var mean = [mfcc_t](repeating: 0, count: Int(cmn.pointee.veclen))
        mean.withUnsafeMutableBufferPointer { cmn_live_get(cmn, $0.baseAddress) }
        return mean.map { Float($0) }
    }

    /// Sets the live mean (and its running sum, as `cmn_live_set` does): the decoder continues
    /// exactly as one that had just arrived at this mean. Ignored when the length differs.
    func setCepstralMean(_ mean: [Float]) {
        guard let feat = ps_get_feat(pointer), let cmn = feat.pointee.cmn_struct, mean.count == Int(cmn.pointee.veclen) else { return }
        let values = mean.map { mfcc_t($0) }
        values.withUnsafeBufferPointer { cmn_live_set(cmn, $0.baseAddress) }
    }
}
