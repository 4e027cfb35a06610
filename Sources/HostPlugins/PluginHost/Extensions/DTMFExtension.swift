import PluginABI
import Synchronization

/// Agents sending keypad digits on a Twilio call (draft extension "agent_host.dtmf.draft/0",
/// Sources/PluginABI/include/agent_host/ext/draft/dtmf.h). A Media Stream cannot carry digits
/// out, so the host updates the call through the REST API with
/// `<Play digits="…"/><Connect><Stream url="…/twilio/media"><Parameter name="resume" value="TOKEN"/>`:
/// Twilio ends the stream, plays the digits on the call, and opens a new stream, which the
/// `resume` token attaches to the same call and session (no new session, no greeting).
package enum KeypadOut {
    /// Session id → what sends digits on its call (registered while a Twilio call with `twilio:`
    /// settings is live). Any thread.
    private static let senders = Mutex<[String: @Sendable (String) -> Void]>([:])

    package static func register(session: String, _ send: @escaping @Sendable (String) -> Void) {
        senders.withLock { $0[session] = send }
    }

    /// Sessions that can send digits now (tests, diagnostics).
    package static var sessions: [String] { senders.withLock { Array($0.keys) } }

    package static func unregister(session: String) { _ = senders.withLock { $0.removeValue(forKey: session) } }

    /// `0-9 * #` and `w` (half a second's pause), 1 to 32 of them.
    package static func validDigits(_ digits: String) -> Bool {
        (1...32).contains(digits.count) && digits.allSatisfy { "0123456789*#w".contains($0) }
    }

    /// Queues `digits` on `session`'s call; false when it has none.
    package static func send(session: String, digits: String) -> Bool {
        guard let send = senders.withLock({ $0[session] }) else { return false }
        send(digits)
        return true
    }
}

/// The draft extension's table (thread-safe: the sender hops to the server loop itself).
nonisolated(unsafe) let dtmfDraftTable = permanentTable(ah_host_dtmf_draft0_t(
    struct_size: UInt32(MemoryLayout<ah_host_dtmf_draft0_t>.size),
    send_digits: { host, session, digits, length in
        guard InstanceContext.from(host) != nil, let session, let digits else { return AH_ERR_INVALID_ARGUMENT }
        let text = String(decoding: UnsafeRawBufferPointer(start: digits, count: length), as: UTF8.self)
        guard KeypadOut.validDigits(text) else { return AH_ERR_INVALID_ARGUMENT }
        return KeypadOut.send(session: String(cString: session), digits: text) ? AH_OK : AH_ERR_NOT_FOUND
    }))

