import Foundation
import HostNet
import HostSupport
import HostTenancy
import HostVoice

/// The host's SIP trunk endpoint (docs/telephony.md, "SIP trunk"): the Sofia-SIP stack on its own
/// thread and the calls it answered, by the stack's call id. Loop-confined (the stack's events
/// arrive on the loop); `stop()` runs at shutdown from the main thread.
final class SIPTrunk: @unchecked Sendable {
    let configuration: SIPTrunkConfiguration
    private(set) var stack: SIPStack?
    var calls: [UInt64: SIPCall] = [:]
    /// With `server.loops` > 1, on the first loop (where the stack's events arrive): the loop
    /// serving each call another loop took, and the loop the next tie goes to (HostServer+SIPLoops).
    var routes: [UInt64: Int] = [:]
    var nextLoop = 0

    init(configuration: SIPTrunkConfiguration) {
        self.configuration = configuration
    }

    func started(_ stack: SIPStack) { self.stack = stack }

    func stop() { stack?.stop() }
}

/// One answered SIP call: its media transport, the voice call, the caller's keypad and, while a
/// REFER is out, what closes the line once the peer answered it. Loop-confined.
final class SIPCall: @unchecked Sendable {
    let invite: SIPStack.Invite
    let transport: SIPTransport
    let line: PhoneLineTransport
    let call: any VoiceChannelCall
    var keypad: KeypadEntry?
    var opening = SessionOpening()
    /// Set while a REFER waits for its answer: closes the line (the stack sends BYE itself).
    var referAnswered: (() -> Void)?
    var transferred = false

    init(invite: SIPStack.Invite, transport: SIPTransport, line: PhoneLineTransport, call: any VoiceChannelCall) {
        self.invite = invite
        self.transport = transport
        self.line = line
        self.call = call
    }
}
