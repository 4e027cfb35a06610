import PluginABI

/// What an agent's question expects the caller to answer, for a voice call's recogniser
/// ("agent_host.voice-hint.draft/0", docs/abi.md). Closed answers are recognised with a grammar,
/// far more accurately than open speech; chat ignores the hint.
public enum ExpectedAnswer: Sendable, Hashable {
    /// Free text: open recognition (what a step that gives no hint gets).
    case text
    /// An order id of `digits` digits (nil: the host's default, 5).
    case orderID(digits: Int? = nil)
    /// A digit string of exactly `count` digits (nil: 1 to 12).
    case digits(count: Int? = nil)
    case yesNo

    var kind: String {
        switch self {
        case .text: AH_VOICE_EXPECT_TEXT
        case .orderID: AH_VOICE_EXPECT_ORDER_ID
        case .digits: AH_VOICE_EXPECT_DIGITS
        case .yesNo: AH_VOICE_EXPECT_YES_NO
        }
    }

    var length: UInt32 {
        switch self {
        case .orderID(let digits?), .digits(let digits?): UInt32(clamping: max(digits, 0))
        default: 0
        }
    }
}

extension AgentActions {
    /// Tells the host what the caller is expected to answer to what this step asked (the last
    /// call of a step wins). Returns false when the host lacks the voice-hint draft (an older
    /// host) or refused the hint; the agent works on either way, with open recognition.
    @discardableResult
    public func expect(_ answer: ExpectedAnswer) -> Bool {
        guard let raw = host.extensionTable(AH_EXT_VOICE_HINT_DRAFT) else { return false }
        let table = raw.assumingMemoryBound(to: ah_host_voice_hint_t.self)
        guard table.pointee.struct_size >= UInt32(MemoryLayout<ah_host_voice_hint_t>.size) else { return false }
        var error = ah_error_t()
        let status = table.pointee.expect(host.raw, stepID, answer.kind, answer.length, &error)
        if status != AH_OK {
            host.log(.warning, "voice hint refused for step \(stepID): \(ABIText.message(of: &error, default: "status \(status)"))")
        }
        return status == AH_OK
    }
}
