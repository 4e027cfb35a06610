import Foundation
import HostNet
import HostOrchestration
import HostSupport
import HostTenancy
import HostVoice

extension HostServer {
    /// Starts the SIP stack on `configuration`'s address (call after `start()`, off the loop: it
    /// waits for the stack's thread to bind). Throws when it cannot listen.
    public func startSIP(_ configuration: SIPTrunkConfiguration) throws(SIPStack.Failure) {
        let trunk = SIPTrunk(configuration: configuration)
        let logger = services.logger
        let stack = try SIPStack.start(url: configuration.sofiaURL, loop: loop, handler: { [weak self, trunk] event in
            self?.sipStackEvent(event, trunk: trunk)
        }, log: { line in logger.log(.info, "sip", "Sofia-SIP: \(line)") })
        trunk.started(stack)
        telephony.sip = trunk
        services.metrics.describe("agent_host_sip_calls_total", type: "counter", help: "SIP INVITEs by outcome (answered or the refusal's status).")
        services.logger.log(.info, "sip", "listening on \(configuration.listen.map { "\($0.transport.rawValue):\($0.host):\($0.port)" }.joined(separator: ", ")) (Sofia-SIP)")
    }

    /// Hangs up every SIP call and stops the stack (shutdown, after the drain).
    public func stopSIP() { telephony.sip?.stop() }

    /// One of this loop's calls' events (`sipStackEvent` chose the loop).
    func sipEvent(_ event: SIPStack.Event, trunk: SIPTrunk) {
        loop.preconditionInLoop()
        switch event {
        case .invite(let invite):
            sipInvite(invite, trunk: trunk)
        case .acked:
            break
        case .referred(let id, let status):
            guard let call = trunk.calls[id] else { return }
            if (200..<300).contains(status) {
                Logger.shared.log(.info, "sip", "call \(id) transferred (REFER answered \(status))")
            } else {
                services.metrics.increment("agent_host_errors_total", labels: ["kind": "transfer_failed"])
                Logger.shared.log(.error, "sip", "transfer of call \(id) refused by the peer (\(status)); the caller keeps the queue ticket")
            }
            call.transferred = true
            call.referAnswered?()
            call.referAnswered = nil
        case .ended(let id):
            guard let call = trunk.calls.removeValue(forKey: id) else { return }
            call.keypad?.close()
            call.keypad = nil
            call.referAnswered?()
            call.referAnswered = nil
            call.call.hangUp()
            _ = call.opening.hangUp()
        }
    }

    /// A new INVITE: a peer some tenant allows (403), the called number's tenant (404), its
    /// allowed peers (403), the offer (400, 488), voice (503); then the media socket, the 200 with the SDP answer, and the session.
    private func sipInvite(_ invite: SIPStack.Invite, trunk: SIPTrunk) {
        guard let stack = trunk.stack else { return }
        let refuse = { [services] (status: Int, phrase: String, why: String) in
            Logger.shared.log(.warning, "sip", "INVITE for \(invite.calledNumber) from \(invite.peerAddress) refused \(status): \(why)")
            services.metrics.increment("agent_host_sip_calls_total", labels: ["outcome": "\(status)"])
            stack.reject(invite.call, status: status, phrase: phrase)
        }
        // A peer no tenant allows learns nothing, not even which numbers exist.
        let known = Set(trunk.configuration.tenants.values).compactMap { tenants[$0]?.runtime.configuration.telephony.sip }
        guard known.contains(where: { $0.allows(invite.peerAddress) }) else {
            return refuse(403, "Forbidden", "\(invite.peerAddress) is in no tenant's sip.allow")
        }
        guard let tenantID = trunk.configuration.tenants[invite.calledNumber], let tenant = tenants[tenantID] else {
            return refuse(404, "Not Found", "no tenant has number '\(invite.calledNumber)' (sip.tenants)")
        }
        guard let policy = tenant.runtime.configuration.telephony.sip, policy.allows(invite.peerAddress) else {
            return refuse(403, "Forbidden", "\(invite.peerAddress) is not in tenant '\(tenant.id)''s sip.allow")
        }
        if invite.malformedSDP { return refuse(400, "Bad Request (malformed SDP)", "the offer is not SDP") }
        guard invite.mediaPort > 0, !invite.mediaAddress.isEmpty else {
            return refuse(488, "Not Acceptable Here", "no RTP/AVP audio offer (an INVITE without SDP is not supported)")
        }
        guard let law = SDPAnswer.chooseLaw(pcmu: invite.offersPCMU, pcma: invite.offersPCMA) else {
            return refuse(488, "Not Acceptable Here", "neither PCMU nor PCMA offered")
        }
        guard let voice, let recognizer = voice.recognizers[tenant.id] else {
            return refuse(503, "Service Unavailable", "voice is not enabled on this host for tenant '\(tenant.id)'")
        }
        let socket = UDPSocket(loop: loop)
        let port: Int
        do {
            port = try socket.bind(host: trunk.configuration.listen[0].host)
            try socket.connectPeer(host: invite.mediaAddress, port: invite.mediaPort)
        } catch {
            socket.close()
            return refuse(500, "Server Internal Error", "RTP socket: \(error)")
        }
        let transport = SIPTransport(socket: socket, loop: loop, law: law, telephoneEvent: invite.telephoneEvent)
        let line = phoneLine(transport, tenant: tenant, logsEvents: true)
        let call = makeCall(transport: line, tenant: tenant, voice: voice, offlineRecognizer: recognizer, realtimeFormat: .pcmu)
        let sipCall = SIPCall(invite: invite, transport: transport, line: line, call: call)
        transport.onAudio = { [weak call] bytes in call?.receive(wire: bytes) }
        transport.onClose = { [weak sipCall] in
            // After a REFER the stack sends the BYE itself.
            if sipCall?.transferred != true { stack.hangUp(invite.call) }
        }
        trunk.calls[invite.call] = sipCall
        stack.answer(invite.call, sdp: SDPAnswer.text(address: trunk.configuration.mediaAddress, port: port, law: law,
                                                      telephoneEvent: invite.telephoneEvent, sessionID: invite.call))
        services.metrics.increment("agent_host_sip_calls_total", labels: ["outcome": "answered"])
        Logger.shared.log(.info, "sip", "call \(invite.call) to \(invite.calledNumber) from \(invite.peerAddress) over \(invite.transport): \(law.name), RTP \(port) <-> \(invite.mediaAddress):\(invite.mediaPort)\(loopSuffix)")
        // A withheld From (`anonymous@…`) names nobody: the call goes by its own id (docs/protocol.md §8).
        let caller = CallerInput.callerProblem(invite.caller) == nil && !invite.caller.isEmpty
            ? Self.callerIdentity(number: invite.caller, call: "sip-\(invite.call)") : "sip-\(invite.call)"
        openSession(tenant: tenant, caller: caller, idleMilliseconds: 0, forward: { call.conversationEvent($0) }, call: true) { [self] result in
            switch result {
            case .failure(let rejection):
                Logger.shared.log(.warning, "sip", "call \(invite.call): no session: \(String(decoding: rejection.response.body, as: UTF8.self))")
                // BYE, and the RTP socket closed with it.
                line.close()
            case .success(let session):
                call.session = session
                session.channel = "sip"
                session.perform(sipCall.opening.opened())
                phoneSessionOpened(session, line: line, call: call, tenant: tenant)
                enableSIPTransfer(session, sipCall: sipCall, stack: stack)
                enableSIPKeypad(session, sipCall: sipCall, tenant: tenant)
                if !sipCall.opening.gone { call.greet() }
            }
        }
    }

    /// An escalation with a transfer target: once the agent's last words have played, a REFER
    /// (blind transfer) names the target; the line closes when the peer answered it (or after 10 s).
    /// An E.164 target becomes sip:+number@<the peer>, which a trunk routes like any call.
    private func enableSIPTransfer(_ session: ServerSession, sipCall: SIPCall, stack: SIPStack) {
        let loop = self.loop
        session.conversation?.transferHandler = { [weak sipCall] request in
            guard let sipCall else { return }
            let peer = sipCall.invite.peerAddress.contains(":") ? "[\(sipCall.invite.peerAddress)]" : sipCall.invite.peerAddress
            let target = request.target.hasPrefix("+") ? "sip:\(request.target)@\(peer)" : request.target
            sipCall.line.beforeClose = { [weak sipCall] hangUpNow in
                let deadline = LoopTimer(loop: loop)
                let finish = {
                    deadline.close()
                    hangUpNow()
                }
                sipCall?.referAnswered = finish
                deadline.start(after: 10_000) { [weak sipCall] in
                    Logger.shared.log(.error, "sip", "REFER to \(target) not answered within 10 s: hanging up")
                    sipCall?.referAnswered = nil
                    finish()
                }
                stack.refer(sipCall?.invite.call ?? 0, to: target)
            }
        }
    }

    /// Keys the caller presses (RFC 4733) fill closed prompts; digits an agent sends (the dtmf
    /// draft) leave as RFC 4733 events.
    private func enableSIPKeypad(_ session: ServerSession, sipCall: SIPCall, tenant: ServedTenant) {
        let loop = self.loop
        sipCall.transport.onKey = { [weak sipCall, weak session] key in
            guard let sipCall, let session else { return }
            let keypad = sipCall.keypad ?? KeypadEntry(loop: loop)
            sipCall.keypad = keypad
            keypad.press(String(key), session: session)
        }
        let keypad = services.keypad
        let sessionID = session.id
        let transport = sipCall.transport
        let sender = LoopBoundTransport(transport)
        keypad.register(session: sessionID, tenant: tenant.id) { digits in
            loop.execute { sender.value.sendDigits(digits) }
        }
        let previous = sipCall.line.onClose
        sipCall.line.onClose = {
            previous?()
            keypad.unregister(session: sessionID)
        }
    }
}

/// The SIP transport carried into the keypad's `@Sendable` sender, which hops to the loop first.
private struct LoopBoundTransport: @unchecked Sendable {
    let value: SIPTransport
    init(_ value: SIPTransport) { self.value = value }
}
