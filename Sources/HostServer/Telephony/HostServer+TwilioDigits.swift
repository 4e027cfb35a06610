import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostSupport
import HostTenancy
import HostVoice
import PluginABI
import Synchronization

/// A Twilio call between its old stream ending (digits being played) and the new one starting.
/// Loop-confined.
final class TwilioResumes: @unchecked Sendable {
    struct Waiting {
        let call: any VoiceChannelCall
        let line: PhoneLineTransport
        let session: ServerSession
        /// The stream that played the digits: its stop and close are no hang-up while this waits.
        weak var oldStream: TwilioMediaConnection?
        let deadline: LoopTimer
        /// Signs the new stream's handshake.
        let account: TwilioAccount
        /// The call's digit sender: the new stream becomes the one its next digits move from.
        let sender: DigitSender
    }

    private var waiting: [String: Waiting] = [:]
    /// A call whose new stream did not come (the caller hung up during the digits) ends after this.
    static let deadlineMilliseconds: UInt64 = 30_000
    /// With `server.loops` > 1: which loop waits for each token, shared by the loops (the new
    /// stream is a new connection, accepted by whichever loop the kernel picks), and this loop's
    /// index in it. Set by `ServerLoops` before the loops serve.
    var directory: TwilioResumeDirectory?
    var loopIndex = 0

    func add(_ token: String, _ entry: Waiting) {
        waiting[token] = entry
        directory?.register(token, loop: loopIndex)
        entry.oldStream?.movesWaiting += 1
    }
    func take(_ token: String) -> Waiting? {
        directory?.remove(token)
        let entry = waiting.removeValue(forKey: token)
        entry?.deadline.close()
        entry?.oldStream?.movesWaiting -= 1
        return entry
    }
}

extension HostServer {
    /// Registers the session's digit sender for a Twilio call of a tenant with `twilio:` settings.
    func enableTwilioDigits(_ session: ServerSession, call: any VoiceChannelCall, line: PhoneLineTransport,
                            stream: TwilioMediaConnection, callSid: String, tenant: ServedTenant) {
        guard let account = tenant.runtime.configuration.telephony.twilio, let http = services.http else { return }
        let calls = TwilioCalls(account: account, http: http)
        let streamURL = account.publicURL.replacingOccurrences(of: "https://", with: "wss://")
            .replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media"
        let loop = self.loop
        let sessionID = session.id
        let pending = DigitSender(call: call, line: line, session: session, stream: stream)
        let keypad = services.keypad
        keypad.register(session: sessionID, tenant: tenant.id) { [telephony] digits in
            loop.execute {
                var bytes = [UInt8](repeating: 0, count: 16)
                for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
                let token = bytes.map { String(format: "%02x", $0) }.joined()
                let twiml = #"<?xml version="1.0" encoding="UTF-8"?><Response><Play digits="\#(TwiML.escape(digits))"/><Connect><Stream url="\#(TwiML.escape(streamURL))"><Parameter name="tenant" value="\#(TwiML.escape(tenant.id))"/><Parameter name="resume" value="\#(token)"/></Stream></Connect></Response>"#
                let deadline = LoopTimer(loop: loop)
                telephony.resumes.add(token, TwilioResumes.Waiting(call: pending.call, line: pending.line, session: pending.session,
                                                                   oldStream: pending.stream, deadline: deadline, account: account,
                                                                   sender: pending))
                deadline.start(after: TwilioResumes.deadlineMilliseconds) {
                    telephony.resumes.take(token)?.call.hangUp()
                }
                calls.update(callSid: callSid, twiml: twiml) { result in
                    guard case .failure(let failure) = result else { return }
                    loop.execute {
                        // The call stays on its stream: nothing to resume.
                        _ = telephony.resumes.take(token)
                        Logger.shared.log(.error, "twilio", "sending digits on call \(callSid) failed: \(failure)")
                    }
                }
            }
        }
        line.onClose = { keypad.unregister(session: sessionID) }
    }

    /// A `start` carrying `resume`: the new stream of a call that played digits. It takes over the
    /// call's output and gets the call and session that go on (TwilioMediaConnection). An unknown
    /// or expired token, or a handshake its account did not sign, is refused (1008): nil.
    func resumeTwilioCall(_ token: String, start: TwilioInbound.Start, handshake: HTTPRequest, socket: WebSocketConnection) -> TwilioResumes.Waiting? {
        guard let waiting = telephony.resumes.take(token) else {
            Logger.shared.log(.warning, "twilio", "stream \(start.streamSid) refused: unknown or expired resume token")
            socket.close(code: WebSocketCloseCode.policyViolation, reason: "unknown or expired resume token")
            return nil
        }
        if let problem = twilioStreamSignatureProblem(handshake, account: waiting.account) {
            // The token is spent: a forged resume cannot be retried, and the call ends at once.
            waiting.call.hangUp()
            socket.close(code: WebSocketCloseCode.policyViolation, reason: String("unsigned resume: \(problem)".prefix(120)))
            return nil
        }
        waiting.line.replaceInner(TwilioTransport(socket: socket, streamSid: start.streamSid))
        return waiting
    }
}

/// The call's parts carried into its digit sender (used on the loop only). A class: the stream
/// that plays the next digits changes with each resume, and a second play of digits must move
/// from the current stream, not the first one (whose stop would otherwise count as a hang-up).
final class DigitSender: @unchecked Sendable {
    let call: any VoiceChannelCall
    let line: PhoneLineTransport
    let session: ServerSession
    weak var stream: TwilioMediaConnection?

    init(call: any VoiceChannelCall, line: PhoneLineTransport, session: ServerSession, stream: TwilioMediaConnection) {
        self.call = call
        self.line = line
        self.session = session
        self.stream = stream
    }
}
