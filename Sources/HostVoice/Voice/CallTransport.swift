import Foundation
import HostAudio
import HostNet
import HostOrchestration

/// One call's channel. The audio loop (`VoiceCall`) is the same for every channel; only a
/// transport knows its wire format: it decodes the caller's bytes (`CallAudioCodec`, Wire/) and
/// encodes the agent's frames. Loop thread only, like the call.
package protocol CallTransport: AnyObject, Sendable {
    /// The rate the agent's audio must leave at (the wire's).
    var sampleRate: Int { get }
    /// What the caller's audio looks like on the wire (the recorder keeps it as it came).
    var wireFormat: CallAudioFormat { get }
    /// Caller audio as it came off the wire, as PCM16 samples at `rate` (16 kHz for the speech
    /// pipeline).
    func receive(_ bytes: [UInt8], at rate: Int) -> [Int16]
    /// What the client says it sends (a voice socket's `start`), before any audio.
    func configure(sampleRate: Int, encoding: String) throws(VoiceCallError)
    /// A conversation event for the client (channels without an event stream log or drop them).
    func send(event: ConversationEvent)
    /// One 20 ms frame of agent speech at `sampleRate`, already paced by the call.
    func send(audio frame: ArraySlice<Int16>)
    /// The caller barged in: anything the client buffered must be dropped too.
    func clearAudio()
    /// The agent finished a reply: channels that report playback (Twilio marks) are told.
    func replyFinished(_ reply: Int)
    /// The session ended and its last words were played: hang up.
    func close()
}

/// `WS /ws/voice/{caller}` (docs/protocol.md §2): events as JSON text frames, audio as PCM16 LE binary
/// frames at the rate the client's `start` asked for (16 kHz by default). Caller audio is PCM16
/// LE or mu-law as `start` said; the agent's audio is always PCM16 LE.
package final class VoiceSocketTransport: CallTransport, @unchecked Sendable {  // loop-confined
    let socket: WebSocketConnection
    private var inbound = CallAudioInbound(format: .voiceSocketDefault)

    package init(socket: WebSocketConnection) {
        self.socket = socket
    }

    package var sampleRate: Int { inbound.format.sampleRate }
    package var wireFormat: CallAudioFormat { inbound.format }
    package func receive(_ bytes: [UInt8], at rate: Int) -> [Int16] { inbound.decode(bytes, at: rate) }
    package func configure(sampleRate: Int, encoding: String) throws(VoiceCallError) {
        try inbound.configure(sampleRate: sampleRate, encoding: encoding)
    }

    package func send(event: ConversationEvent) { socket.send(text: event.json) }
    package func send(audio frame: ArraySlice<Int16>) { socket.send(binary: CallAudioCodec.encode(frame, as: .pcm16)) }
    package func clearAudio() {}  // frames are paced in real time: the client holds at most one
    package func replyFinished(_ reply: Int) {}
    package func close() { socket.close(code: WebSocketCloseCode.normal, reason: "session ended") }
}
