import Foundation
import AgentHostJSON
import PluginABI

/// What the current agent expects the caller to say next (docs/abi.md, "agent_host.voice-hint.draft/0"):
/// voice calls pick a recognition grammar from it (Voice/ClosedPrompt.swift).
public struct VoiceHint: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case text, orderID = "order_id", digits, yesNo = "yes_no"
    }

    public let kind: Kind
    /// Digits of an order id or digit string; 0 = the grammar's default.
    public let length: Int

    public init(kind: Kind, length: Int = 0) {
        self.kind = kind
        self.length = length
    }

    /// The longest digit string a hint may ask for (a grammar that long is already slow to decode).
    package static let maxLength = 32

    /// Parses the extension's arguments; nil kind means free text. Throws the message for `error`.
    package static func parse(kind: String?, length: UInt32) throws(Refusal) -> VoiceHint {
        guard let parsed = Kind(rawValue: kind ?? AH_VOICE_EXPECT_TEXT) else {
            throw Refusal(message: "unknown voice hint kind \"\(kind ?? "")\": use text, order_id, digits or yes_no")
        }
        guard length <= maxLength else {
            throw Refusal(message: "voice hint length \(length) is over \(maxLength)")
        }
        return VoiceHint(kind: parsed, length: parsed == .yesNo || parsed == .text ? 0 : Int(length))
    }

    package struct Refusal: Error {
        package let message: String
    }

    /// The 1.0 convention, kept for plugins built before the extension: the optional `"expect"`
    /// member of the agent's state ("order_id", "yes_no", "digits"). Only read for agents that
    /// never used the extension in the session.
    package static func fromLegacyState(_ state: String?) -> VoiceHint? {
        // The cheap check first: most states have no "expect", and this runs once per voice turn.
        guard let state, state.contains("\"expect\""), let object = try? JSONValue.parse(state),
              let raw = object["expect"]?.string, let kind = Kind(rawValue: raw), kind != .text else { return nil }
        return VoiceHint(kind: kind)
    }
}

/// A step that accepts voice hints (StepRun); the extension's table reaches it through the router.
package protocol VoiceHintSink: AnyObject {
    func expect(_ hint: VoiceHint) -> ah_status_t
}
