import Foundation
import HostNet
import HostOrchestration
import HostSupport

/// A call's transport with the phone features around it (docs/telephony.md): the recorder gets
/// both sides' audio, events reach the log redacted on channels that only log them (Twilio), and
/// hanging up can wait for something first (a transfer's REST call must land before the Media
/// Stream closes, or Twilio would go on with the TwiML after `<Connect>` and end the call).
/// Loop-confined, like every transport.
package final class PhoneLineTransport: CallTransport, @unchecked Sendable {
    private(set) var inner: CallTransport
    /// Created at the first audio, at the rate the call then has (a voice socket's `start` sets it).
    private(set) var recorder: CallRecorder?
    private let makeRecorder: ((Int) -> CallRecorder)?
    private let redaction: Redaction
    private let logsEvents: Bool
    /// Runs before the line closes; the line closes when it calls back.
    package var beforeClose: ((@escaping () -> Void) -> Void)?
    private var sessionID: String?
    /// The line is done (the session's digit sender is unregistered).
    package var onClose: (() -> Void)?
    private var closed = false

    package init(_ inner: CallTransport, redaction: Redaction, logsEvents: Bool, makeRecorder: ((Int) -> CallRecorder)?) {
        self.inner = inner
        self.redaction = redaction
        self.logsEvents = logsEvents
        self.makeRecorder = makeRecorder
    }

    package var sampleRate: Int { inner.sampleRate }
    package var wireFormat: CallAudioFormat { inner.wireFormat }

    package func send(event: ConversationEvent) {
        guard logsEvents else { return inner.send(event: event) }
        Logger.shared.log(.debug, "twilio", redaction.apply(event.json))
    }

    package func send(audio frame: ArraySlice<Int16>) {
        recording()?.agent(frame)
        inner.send(audio: frame)
    }

    /// Caller audio: the recorder gets it as the channel received it (wire bytes at the wire's
    /// rate), the call gets it decoded by the channel.
    package func receive(_ bytes: [UInt8], at rate: Int) -> [Int16] {
        recording()?.caller(bytes, mulaw: inner.wireFormat.encoding == .mulaw)
        return inner.receive(bytes, at: rate)
    }

    package func configure(sampleRate: Int, encoding: String) throws(VoiceCallError) {
        try inner.configure(sampleRate: sampleRate, encoding: encoding)
    }

    /// The session opened: the recording is named after it.
    package func sessionOpened(_ id: String) {
        sessionID = id
        recorder?.name(sessionID: id)
    }

    /// The recording's file name once a session named it (what the session record keeps).
    package var recordingName: String? { makeRecorder == nil || sessionID == nil ? nil : sessionID! + ".wav" }

    /// A Twilio call's new Media Stream (after digits were played) takes over the output.
    package func replaceInner(_ transport: CallTransport) { inner = transport }

    package func clearAudio() { inner.clearAudio() }
    package func replyFinished(_ reply: Int) { inner.replyFinished(reply) }

    package func close() {
        guard !closed else { return }
        closed = true
        onClose?()
        recorder?.finish()
        guard let beforeClose else { return inner.close() }
        self.beforeClose = nil
        beforeClose { [inner] in inner.close() }
    }

    private func recording() -> CallRecorder? {
        if recorder == nil, !closed, let makeRecorder {
            recorder = makeRecorder(inner.sampleRate)
            if let sessionID { recorder?.name(sessionID: sessionID) }
        }
        return recorder
    }
}
