import CSIPGlue
import Foundation

/// The host's SIP user agent (Sofia-SIP's nua on its own thread; Sources/CSIPGlue says why C).
/// Its events reach `handler` on the loop (`EventLoop.execute`); its commands are queued to the
/// SIP thread and never wait. Loop-thread owner; `stop()` joins the SIP thread (at shutdown).
public final class SIPStack: @unchecked Sendable {
    // @unchecked: `glue` is set once; the glue's commands are thread-safe (a locked queue + pipe).

    /// A new call's INVITE, as the stack read it (the offer's audio by Sofia's SDP parser).
    public struct Invite: Sendable {
        public let call: UInt64
        public let calledNumber: String
        public let caller: String
        public let peerAddress: String
        public let transport: String
        public let mediaAddress: String
        public let mediaPort: Int
        public let offersPCMU: Bool
        public let offersPCMA: Bool
        /// The telephone-event/8000 payload type offered, nil when none.
        public let telephoneEvent: UInt8?
        public let malformedSDP: Bool
    }

    public enum Event: Sendable {
        case invite(Invite)
        case acked(UInt64)
        /// The call is over (BYE either way, CANCEL, a refusal sent, a transfer done).
        case ended(UInt64)
        /// The REFER of `call` was answered with `status`.
        case referred(UInt64, status: Int)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Carries the loop and the handler into the C callback (retained by the stack).
    private final class Sink: @unchecked Sendable {
        let loop: EventLoop
        let handler: (Event) -> Void
        let log: @Sendable (String) -> Void
        init(loop: EventLoop, handler: @escaping (Event) -> Void, log: @escaping @Sendable (String) -> Void) {
            self.loop = loop
            self.handler = handler
            self.log = log
        }
    }

    private let glue: OpaquePointer
    private let sink: Unmanaged<Sink>
    private var stopped = false

    /// Starts the SIP thread on `url` (`sip:HOST:PORT` for UDP and TCP, `;transport=` for one).
    /// Blocks until it is bound (milliseconds): call it at start-up.
    /// `log` gets Sofia-SIP's own log lines (on the SIP thread; they used to go to stderr).
    public static func start(url: String, loop: EventLoop, handler: @escaping (Event) -> Void,
                             log: @escaping @Sendable (String) -> Void = { _ in }) throws(Failure) -> SIPStack {
        let sink = Unmanaged.passRetained(Sink(loop: loop, handler: handler, log: log))
        var error = [CChar](repeating: 0, count: 256)
        guard let glue = sip_glue_start(url, { context, event in
            guard let context, let event else { return }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            if event.pointee.kind == SIP_GLUE_LOG {
                return sink.log(event.pointee.message.map { String(cString: $0) } ?? "")
            }
            let copied = SIPStack.copy(event.pointee)
            _ = sink.loop.execute { sink.handler(copied) }
        }, sink.toOpaque(), &error, Int32(error.count)) else {
            sink.release()
            throw Failure(description: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return SIPStack(glue: glue, sink: sink)
    }

    private init(glue: OpaquePointer, sink: Unmanaged<Sink>) {
        self.glue = glue
        self.sink = sink
    }

    /// Runs on the SIP thread: the strings live only during the callback.
    private static func copy(_ event: sip_glue_event) -> Event {
        func text(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }
        switch event.kind {
        case SIP_GLUE_INVITE:
            return .invite(Invite(call: event.call, calledNumber: text(event.to_user), caller: text(event.from_user),
                                  peerAddress: text(event.peer_address), transport: text(event.transport),
                                  mediaAddress: text(event.media_address), mediaPort: Int(event.media_port),
                                  offersPCMU: event.offers_pcmu != 0, offersPCMA: event.offers_pcma != 0,
                                  telephoneEvent: (0...127).contains(event.telephone_event) ? UInt8(event.telephone_event) : nil,
                                  malformedSDP: event.malformed_sdp != 0))
        case SIP_GLUE_ACKED: return .acked(event.call)
        case SIP_GLUE_REFERRED: return .referred(event.call, status: Int(event.status))
        default: return .ended(event.call)
        }
    }

    public func answer(_ call: UInt64, sdp: String) { sip_glue_answer(glue, call, sdp) }
    public func reject(_ call: UInt64, status: Int, phrase: String) { sip_glue_reject(glue, call, Int32(status), phrase) }
    public func hangUp(_ call: UInt64) { sip_glue_hangup(glue, call) }
    public func refer(_ call: UInt64, to target: String) { sip_glue_refer(glue, call, target) }

    /// BYE on every call, then the stack shuts down and its thread is joined (at most ~2 s).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        sip_glue_stop(glue)
        sink.release()
    }
}

/// The SDP answer (RFC 3264) to an offer of G.711: one audio stream, the chosen law, 20 ms
/// packets, and telephone-event when the offer had it (with the offer's payload type).
public enum SDPAnswer {
    public enum Law: UInt8, Sendable {
        case pcmu = 0
        case pcma = 8
        public var name: String { self == .pcmu ? "PCMU" : "PCMA" }
    }

    /// µ-law when offered (North America's and Twilio's), else A-law; nil when neither: 488.
    public static func chooseLaw(pcmu: Bool, pcma: Bool) -> Law? { pcmu ? .pcmu : pcma ? .pcma : nil }

    public static func text(address: String, port: Int, law: Law, telephoneEvent: UInt8?, sessionID: UInt64) -> String {
        let family = address.contains(":") ? "IP6" : "IP4"
        var formats = "\(law.rawValue)"
        if let telephoneEvent { formats += " \(telephoneEvent)" }
        var lines = [
            "v=0",
            "o=agent-host \(sessionID) \(sessionID) IN \(family) \(address)",
            "s=agent-host",
            "c=IN \(family) \(address)",
            "t=0 0",
            "m=audio \(port) RTP/AVP \(formats)",
            "a=rtpmap:\(law.rawValue) \(law.name)/8000",
        ]
        if let telephoneEvent {
            lines.append("a=rtpmap:\(telephoneEvent) telephone-event/8000")
            lines.append("a=fmtp:\(telephoneEvent) 0-15")
        }
        lines.append("a=ptime:20")
        lines.append("a=sendrecv")
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
