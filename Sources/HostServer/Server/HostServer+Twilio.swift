import Foundation
import HostNet
import HostSupport
import HostVoice

extension HostServer {
    /// `WS /twilio/media`: Twilio Media Streams. The handshake only checks that voice is on; the
    /// tenant, its key and the caller come with the `start` message (TwiML `<Parameter>`s named
    /// `tenant`, `token`, `caller`; the caller defaults to the call's sid), because Twilio cannot
    /// set headers. The agent greets first, as on a phone line.
    func twilioSocket(_ request: HTTPRequest) -> WebSocketHandler {
        let calls = SocketMap<any VoiceChannelCall>()
        let keypads = SocketMap<KeypadEntry>()
        let state = SocketSession()
        return WebSocketHandler(
            onOpen: { _ in },
            onText: { [self] socket, text in
                let message: TwilioInbound
                do { message = try TwilioInbound.parse(text) } catch {
                    Logger.shared.log(.warning, "twilio", "ignored a bad message: \(error)")
                    services.metrics.increment("agent_host_errors_total", labels: ["kind": "twilio_bad_message"])
                    return
                }
                switch message {
                case .start(let start):
                    guard calls.get(socket) == nil else { return }
                    if let token = start.customParameters["resume"] {
                        return resumeTwilioCall(token, start: start, handshake: request, socket: socket, calls: calls, state: state)
                    }
                    startTwilioCall(start, request: request, socket: socket, calls: calls, state: state)
                case .media(let payload):
                    calls.get(socket)?.receive(wire: payload)
                case .dtmf(let digit):
                    // Keypad input is typed input: "1" pressed is "1" said; a closed prompt's digits are gathered (KeypadEntry).
                    guard !digit.isEmpty, let session = calls.get(socket)?.session else { return }
                    let keypad = keypads.get(socket) ?? KeypadEntry(loop: loop)
                    keypads.set(socket, keypad)
                    keypad.press(digit, session: session)
                case .stop:
                    // A stream ended because its call moved on (digits played, telephony.md) is no hang-up.
                    if !telephony.resumes.isMoving(socket) { calls.get(socket)?.hangUp() }
                    state.hangUp(endingOpenSession: false)
                case .connected, .mark, .other:
                    break
                }
            },
            onBinary: { socket, _ in
                Logger.shared.log(.warning, "twilio", "binary frame on /twilio/media ignored: Twilio sends JSON text frames")
            },
            onClose: { [self] socket, _, _ in
                keypads.remove(socket)?.close()
                let call = calls.remove(socket)
                if !telephony.resumes.isMoving(socket) { call?.hangUp() }
                state.hangUp(endingOpenSession: false)
            })
    }

    private func startTwilioCall(_ start: TwilioInbound.Start, request: HTTPRequest, socket: WebSocketConnection,
                                 calls: SocketMap<any VoiceChannelCall>, state: SocketSession) {
        let refuse: @Sendable (String) -> Void = { problem in
            Logger.shared.log(.warning, "twilio", "stream \(start.streamSid) refused: \(problem)")
            socket.close(code: WebSocketCloseCode.policyViolation, reason: String(problem.prefix(120)))
        }
        guard start.encoding == "audio/x-mulaw", start.sampleRate == 8_000 else {
            return refuse("media format \(start.encoding) at \(start.sampleRate) Hz: Media Streams send audio/x-mulaw at 8000 Hz")
        }
        let tenantID = start.customParameters["tenant"] ?? request.query("tenant") ?? defaultTenant
        guard let tenant = tenants[tenantID] else { return refuse("unknown tenant '\(tenantID)'") }
        if let account = tenant.runtime.configuration.telephony.twilio,
           let problem = twilioStreamSignatureProblem(request, account: account) {
            return refuse("tenant '\(tenantID)' takes only signed streams: \(problem)")
        }
        if !tenant.apiKeyHashes.isEmpty {
            guard let key = start.customParameters["token"] ?? request.query("token"), verifyKey(tenant, key) else {
                return refuse("missing or invalid API key for tenant '\(tenantID)' (pass it as <Parameter name=\"token\">)")
            }
        }
        guard let voice, let recognizer = voice.recognizers[tenant.id] else {
            return refuse("voice is not enabled on this host for tenant '\(tenant.id)'")
        }
        let caller = start.customParameters["caller"] ?? start.customParameters["from"] ?? (start.callSid.isEmpty ? start.streamSid : start.callSid)
        if let problem = CallerInput.callerProblem(caller) { return refuse("<Parameter name=\"caller\">: \(problem)") }
        let line = phoneLine(TwilioTransport(socket: socket, streamSid: start.streamSid), tenant: tenant, logsEvents: true)
        let call = makeCall(transport: line, tenant: tenant, voice: voice,
                            offlineRecognizer: recognizer, realtimeFormat: .pcmu)
        calls.set(socket, call)
        openSession(tenant: tenant, caller: caller, idleMilliseconds: 0, forward: { call.conversationEvent($0) }) { result in
            switch result {
            case .failure(let rejection):
                refuse(String(decoding: rejection.response.body, as: UTF8.self))
            case .success(let session):
                call.session = session
                session.channel = "twilio"
                state.opened(session)
                self.phoneSessionOpened(session, line: line, call: call, tenant: tenant)
                self.enableTwilioTransfer(session, line: line, callSid: start.callSid, tenant: tenant)
                self.enableTwilioDigits(session, call: call, line: line, socket: socket, callSid: start.callSid, tenant: tenant)
                if !state.gone { call.greet() }
            }
        }
    }
}
