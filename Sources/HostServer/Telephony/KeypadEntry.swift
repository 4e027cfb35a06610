import HostNet
import HostVoice

/// A phone caller's key presses (Twilio `dtmf`) as input. Outside a closed prompt each press is
/// typed input at once ("press 1 for billing"). While the agent expects digits or an order id
/// (its voice hint, docs/abi.md) the presses are gathered into one answer, like TwiML `<Gather>`:
/// `#` ends it, or 3 seconds without a press; `*` starts it over. Loop-confined.
final class KeypadEntry: @unchecked Sendable {
    static let pauseMilliseconds: UInt64 = 3_000
    private let timer: LoopTimer
    private var digits = ""
    private weak var session: (any CallSession)?

    init(loop: EventLoop) {
        timer = LoopTimer(loop: loop)
    }

    func press(_ key: String, session: any CallSession) {
        let expected = session.conversation?.expectation?.kind
        guard expected == .digits || expected == .orderID || !digits.isEmpty else {
            return session.send(key)
        }
        self.session = session
        switch key {
        case "#":
            submit()
        case "*":
            digits = ""
            timer.stop()
        default:
            guard digits.count < 32 else { return }
            digits += key
            timer.start(after: Self.pauseMilliseconds) { [weak self] in self?.submit() }
        }
    }

    private func submit() {
        timer.stop()
        guard !digits.isEmpty else { return }
        let answer = digits
        digits = ""
        session?.send(answer)
    }

    func close() { timer.close() }
}
