import Foundation
import HostAudio
import HostNet
import HostOrchestration

/// Where one call's output goes. The audio loop (`VoiceCall`) is the same for every channel; a
/// transport only knows its wire format. Loop thread only, like the call.
package protocol CallTransport: AnyObject, Sendable {
    /// The rate the caller's audio arrives at and the agent's audio must leave at.
    var sampleRate: Int { get }
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
/// frames at the rate the client's `start` asked for (16 kHz by default).
package final class VoiceSocketTransport: CallTransport, @unchecked Sendable {  // loop-confined
    let socket: WebSocketConnection
    package var sampleRate = 16_000

    package init(socket: WebSocketConnection) {
        self.socket = socket
    }

    package func send(event: ConversationEvent) { socket.send(text: event.json) }
    package func send(audio frame: ArraySlice<Int16>) { socket.send(binary: PCM16.littleEndianBytes(frame)) }
    package func clearAudio() {}  // frames are paced in real time: the client holds at most one
    package func replyFinished(_ reply: Int) {}
    package func close() { socket.close(code: WebSocketCloseCode.normal, reason: "session ended") }
}
