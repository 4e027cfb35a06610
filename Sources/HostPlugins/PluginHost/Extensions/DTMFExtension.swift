import PluginABI
import Synchronization

/// Agents sending keypad digits on a Twilio call (draft extension "agent_host.dtmf.draft/0",
/// Sources/PluginABI/include/agent_host/ext/draft/dtmf.h). A Media Stream cannot carry digits
/// out, so the host updates the call through the REST API with
/// `<Play digits="…"/><Connect><Stream url="…/twilio/media"><Parameter name="resume" value="TOKEN"/>`:
/// Twilio ends the stream, plays the digits on the call, and opens a new stream, which the
/// `resume` token attaches to the same call and session (no new session, no greeting).
///
/// One registry per host (`HostServices.keypad`): two hosts in one process (tests, a benchmark)
/// never reach each other's calls. Any thread.
package final class KeypadOut: Sendable {
    /// Session id → its tenant and what sends digits on its call (registered while a Twilio call
    /// with `twilio:` settings is live).
    private let senders = Mutex<[String: (tenant: String, send: @Sendable (String) -> Void)]>([:])

    package init() {}

    package func register(session: String, tenant: String, _ send: @escaping @Sendable (String) -> Void) {
        senders.withLock { $0[session] = (tenant, send) }
    }

    /// Sessions that can send digits now (tests, diagnostics).
    package var sessions: [String] { senders.withLock { Array($0.keys) } }

    package func unregister(session: String) { _ = senders.withLock { $0.removeValue(forKey: session) } }

    /// `0-9 * #` and `w` (half a second's pause), 1 to 32 of them.
    package static func validDigits(_ digits: String) -> Bool {
        (1...32).contains(digits.count) && digits.allSatisfy { "0123456789*#w".contains($0) }
    }

    /// Queues `digits` on `session`'s call; false when it has none, or when it is not `tenant`'s:
    /// one tenant's plugin never reaches another tenant's call, even knowing its session id (and
    /// learns nothing from the answer, which is the same as for no call).
    package func send(session: String, tenant: String, digits: String) -> Bool {
        guard let sender = senders.withLock({ $0[session] }), sender.tenant == tenant else { return false }
        sender.send(digits)
        return true
    }
}

/// The draft extension's table (thread-safe: the sender hops to the server loop itself). The
/// registry is the calling instance's host's.
nonisolated(unsafe) let dtmfDraftTable = permanentTable(ah_host_dtmf_draft0_t(
    struct_size: UInt32(MemoryLayout<ah_host_dtmf_draft0_t>.size),
    send_digits: { host, session, digits, length in
        guard let context = InstanceContext.from(host), let session, let digits else { return AH_ERR_INVALID_ARGUMENT }
        let text = String(decoding: UnsafeRawBufferPointer(start: digits, count: length), as: UTF8.self)
        guard KeypadOut.validDigits(text) else { return AH_ERR_INVALID_ARGUMENT }
        return context.services.keypad.send(session: String(cString: session), tenant: context.tenantID, digits: text) ? AH_OK : AH_ERR_NOT_FOUND
    }))

