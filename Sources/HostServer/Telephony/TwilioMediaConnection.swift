import Foundation
import HostNet
import HostSupport
import HostTenancy
import HostVoice

/// One `WS /twilio/media` stream (Twilio Media Streams, docs/telephony.md). The handshake only
/// checks that voice is on; the tenant, its key and the caller come with the `start` message
/// (TwiML `<Parameter>`s named `tenant`, `token`, `caller`; the caller defaults to the call's
/// sid), because Twilio cannot set headers. The agent greets first, as on a phone line. A `start`
/// carrying `resume` takes over a call whose old stream played digits (HostServer+TwilioDigits).
/// Loop-confined: one per accepted stream, its call, session and keypad its own.
final class TwilioMediaConnection: WebSocketConnectionHandler, @unchecked Sendable {
    // @unchecked: every method runs on the server loop's thread (checked).
    private let server: HostServer
    /// The upgrade request: its `tenant`/`token` query stands in for missing `<Parameter>`s.
    private let request: HTTPRequest
    /// From the first `start` until the stream closes.
    private var call: (any VoiceChannelCall)?
    /// Made at the first key press.
    private var keypad: KeypadEntry?
    /// The caller gone before the session opened means no greeting; the call ends the session.
    private var opening = SessionOpening()
    /// Digits this stream's call is playing whose new stream has not come yet (TwilioResumes):
    /// while any wait, this stream ends because its call moves on, which is no hang-up.
    var movesWaiting = 0
    /// A resumed stream whose call another loop serves: that loop's handler gets every message
    /// (TwilioResumeDirectory).
    private var relay: (loop: EventLoop, handler: TwilioMediaConnection)?

    init(server: HostServer, request: HTTPRequest) {
        self.server = server
        self.request = request
    }

    func opened(_ socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
    }

    func received(text: String, on socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
        if let relay {
            let handler = relay.handler
            relay.loop.execute { handler.received(text: text, on: socket) }
            return
        }
        let message: TwilioInbound
        do { message = try TwilioInbound.parse(text) } catch {
            Logger.shared.log(.warning, "twilio", "ignored a bad message: \(error)")
            server.services.metrics.increment("agent_host_errors_total", labels: ["kind": "twilio_bad_message"])
            return
        }
        switch message {
        case .start(let start):
            guard call == nil else { return }
            if let token = start.customParameters["resume"] {
                if let target = Self.relayTarget(token: token, server: server, request: request) {
                    relay = target
                    let handler = target.handler
                    target.loop.execute { handler.received(text: text, on: socket) }
                    return
                }
                return resume(token, start: start, socket: socket)
            }
            begin(start, socket: socket)
        case .media(let payload):
            call?.receive(wire: payload)
        case .dtmf(let digit):
            // Keypad input is typed input: "1" pressed is "1" said; a closed prompt's digits are gathered (KeypadEntry).
            guard !digit.isEmpty, let session = call?.session else { return }
            let keypad = keypad ?? KeypadEntry(loop: server.loop)
            self.keypad = keypad
            keypad.press(digit, session: session)
        case .stop:
            // A stream ended because its call moved on (digits played, telephony.md) is no hang-up.
            if movesWaiting == 0 { call?.hangUp() }
            _ = opening.hangUp()
        case .connected, .mark, .other:
            break
        }
    }

    func received(binary: [UInt8], on socket: WebSocketConnection) {
        server.loop.preconditionInLoop()
        Logger.shared.log(.warning, "twilio", "binary frame on /twilio/media ignored: Twilio sends JSON text frames")
    }

    func closed(_ socket: WebSocketConnection, code: UInt16, reason: String) {
        server.loop.preconditionInLoop()
        if let relay {
            let handler = relay.handler
            relay.loop.execute { handler.closed(socket, code: code, reason: reason) }
            self.relay = nil
            return
        }
        keypad?.close()
        keypad = nil
        if movesWaiting == 0 { call?.hangUp() }
        // Its transport holds the socket: let go of it, as the socket lets go of this.
        call = nil
        _ = opening.hangUp()
    }

    /// A new call: checks the stream's format, tenant, key and caller, then opens its session.
    private func begin(_ start: TwilioInbound.Start, socket: WebSocketConnection) {
        let refuse: @Sendable (String) -> Void = { problem in
            Logger.shared.log(.warning, "twilio", "stream \(start.streamSid) refused: \(problem)")
            socket.close(code: WebSocketCloseCode.policyViolation, reason: String(problem.prefix(120)))
        }
        guard start.encoding == "audio/x-mulaw", start.sampleRate == 8_000 else {
            return refuse("media format \(start.encoding) at \(start.sampleRate) Hz: Media Streams send audio/x-mulaw at 8000 Hz")
        }
        let tenantID = start.customParameters["tenant"] ?? request.query("tenant") ?? server.defaultTenant
        guard let tenant = server.tenants[tenantID] else { return refuse("unknown tenant '\(tenantID)'") }
        if let account = tenant.runtime.configuration.telephony.twilio,
           let problem = server.twilioStreamSignatureProblem(request, account: account) {
            return refuse("tenant '\(tenantID)' takes only signed streams: \(problem)")
        }
        if !tenant.apiKeyHashes.isEmpty {
            guard let key = start.customParameters["token"] ?? request.query("token"), server.verifyKey(tenant, key) else {
                return refuse("missing or invalid API key for tenant '\(tenantID)' (pass it as <Parameter name=\"token\">)")
            }
        }
        guard let voice = server.voice, let recognizer = voice.recognizers[tenant.id] else {
            return refuse("voice is not enabled on this host for tenant '\(tenant.id)'")
        }
        let thisCall = start.callSid.isEmpty ? start.streamSid : start.callSid
        // Without either id a withheld number would become one `withheld-` shared by every such call.
        guard !thisCall.isEmpty else { return refuse("the start message has neither callSid nor streamSid") }
        // A withheld number (`anonymous`, a carrier's fake one) names nobody: the call goes by its own id.
        let caller = HostServer.callerIdentity(number: start.customParameters["caller"] ?? start.customParameters["from"] ?? thisCall, call: thisCall)
        if let problem = CallerInput.callerProblem(caller) { return refuse("<Parameter name=\"caller\">: \(problem)") }
        let line = server.phoneLine(TwilioTransport(socket: socket, streamSid: start.streamSid), tenant: tenant, logsEvents: true)
        let call = server.makeCall(transport: line, tenant: tenant, voice: voice,
                                   offlineRecognizer: recognizer, realtimeFormat: .pcmu)
        self.call = call
        server.openSession(tenant: tenant, caller: caller, idleMilliseconds: 0, forward: { call.conversationEvent($0) }, call: true) { [self] result in
            switch result {
            case .failure(let rejection):
                refuse(String(decoding: rejection.response.body, as: UTF8.self))
            case .success(let session):
                call.session = session
                session.channel = "twilio"
                session.perform(opening.opened())
                server.phoneSessionOpened(session, line: line, call: call, tenant: tenant)
                server.enableTwilioTransfer(session, line: line, callSid: start.callSid, tenant: tenant)
                server.enableTwilioDigits(session, call: call, line: line, stream: self, callSid: start.callSid, tenant: tenant)
                if !opening.gone { call.greet() }
            }
        }
    }

    /// The new stream of a call that played digits: it takes over the call's output; the session
    /// goes on. An unknown or expired token, or an unsigned handshake, is refused (1008).
    private func resume(_ token: String, start: TwilioInbound.Start, socket: WebSocketConnection) {
        guard let waiting = server.resumeTwilioCall(token, start: start, handshake: request, socket: socket) else { return }
        call = waiting.call
        waiting.sender.stream = self
        waiting.session.perform(opening.opened())
    }
}
