import Foundation
import Host
import HostAudio
import HostNet
import HostOrchestration
import HostServer
import HostSpeech
import HostTenancy
import HostVoice
import TestSupport
import XCTest

/// The SIP trunk endpoint against a real SIP peer (SIPp, Debian's `sip-tester`): the in-process
/// host with the reference plugins and offline speech answers an INVITE over UDP or TCP, hears the
/// caller's synthesised request as RTP, routes it, speaks back (the peer's audio port receives
/// non-silent G.711), and refuses what it must with the right status (docs/telephony.md).
final class SIPCallTests: ServerTestCase {
    private var sipPort = 0
    private var directory = ""

    private func startSIPHost(transfer: [String: String] = [:], allow: String = "127.0.0.0/8") async throws {
        try startServer { configuration in
            configuration.telephony.sip = TenantSIP(allow: [IPNetwork(allow)!])
            configuration.telephony.transfer = transfer
        }
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
        // The stack binds UDP and TCP on one port: a port free for UDP may be taken for TCP by
        // another process on this shared machine, so a few are tried.
        var failure: SIPStack.Failure?
        for _ in 0..<5 {
            sipPort = try LoopbackUDPPort.free()
            do {
                try server.startSIP(SIPTrunkConfiguration(listen: [.init(transport: .udp, host: "127.0.0.1", port: sipPort),
                                                                   .init(transport: .tcp, host: "127.0.0.1", port: sipPort)],
                                                          tenants: ["+15550001": "demo"], mediaAddress: "127.0.0.1"))
                failure = nil
                break
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        directory = NSTemporaryDirectory() + "sip-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stopSIP()
        if !directory.isEmpty { try? FileManager.default.removeItem(atPath: directory) }
        super.tearDown()
    }

    /// The caller's request after `leadSilence` ms (the greeting plays meanwhile) as a pcap of PCMU RTP.
    private func callerPCAP(_ text: String, leadSilence: Int = 5_000) async throws -> String {
        let speech = try await VoiceTestCaller.speech(text)
        let frames = try VoiceTestCaller.muLawFrames(VoiceTestCaller.silence(milliseconds: leadSilence) + speech
                                                         + VoiceTestCaller.silence(milliseconds: 1_500))
        let path = directory + "/caller.pcap"
        try SIPp.writePCAP(frames.filter { $0.count == 160 }, payloadType: 0, to: path)
        return path
    }

    private func record(caller: String, seconds: Double = 20) async throws -> CompletedSession? {
        for _ in 0..<Int(seconds * 20) {
            if let saved = persistence.sessions(tenant: "demo", caller: caller).last { return saved }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func testASIPCallerIsAnsweredRoutedAndHearsTheAgentSpeakBack() async throws {
        try await startSIPHost()
        let pcap = try await callerPCAP("I need a refund.", leadSilence: 4_500)
        let listener = try RTPListener()
        listener.start()
        let run = try SIPp.run("call.xml", port: sipPort, service: "+15550001",
                               keys: ["rtp_listen_port": "\(listener.port)", "codec": "0"], pcap: pcap,
                               pauseMilliseconds: 22_000, in: directory)
        listener.stop()
        XCTAssertEqual(run.status, 0, "SIPp's call completed (INVITE 200 ACK ... BYE 200): \(run.output)")
        XCTAssertTrue(run.messages.contains("m=audio") && run.messages.contains("PCMU/8000"), "the 200 carries a PCMU answer: \(run.messages.prefix(3_000))")

        let packets = listener.received.compactMap(RTPPacket.init)
        XCTAssertGreaterThan(packets.count, 100, "the agent's speech arrived as RTP (\(packets.count) packets)")
        XCTAssertTrue(packets.allSatisfy { $0.payloadType == 0 && $0.payload.count <= 160 }, "20 ms PCMU packets: \(Set(packets.map { "\($0.payloadType)/\($0.payload.count)" }))")
        XCTAssertEqual(Set(packets.map(\.ssrc)).count, 1, "one SSRC")
        let steps = zip(packets, packets.dropFirst()).map { $1.sequence &- $0.sequence }
        XCTAssertTrue(steps.allSatisfy { $0 == 1 }, "sequence numbers grow by one")
        XCTAssertTrue(packets.first?.marker == true, "the first packet starts a talkspurt")
        let samples = packets.flatMap { MuLaw.decode($0.payload) }
        let loud = samples.filter { abs(Int($0)) > 2_000 }.count
        XCTAssertGreaterThan(loud, 4_000, "the audio is speech, not silence")

        let found = try await record(caller: "+15557654321")
        let saved = try XCTUnwrap(found, "the call's session was recorded")
        let said = saved.transcript.filter { $0.role == "user" }.map(\.text).joined(separator: " ")
        XCTAssertTrue(said.contains("refund"), "the caller's words were recognised: \(saved.transcript.map { "\($0.role): \($0.text)" })")
        XCTAssertTrue(saved.agents.contains { $0.lowercased().contains("refund") }, "routed to refunds: \(saved.agents)")
        XCTAssertEqual(saved.outcome, "caller_hangup", "the BYE ended it")
    }

    func testRefusalsCarryTheRightStatus() async throws {
        try await startSIPHost()
        // A number no tenant has: 404 (over TCP: the stack listens on both).
        let unknown = try SIPp.run("refused.xml", port: sipPort, service: "+15559999", keys: ["codec": "0"], substitutions: ["[expected]": "404"],
                                   transport: "t1", in: directory)
        XCTAssertEqual(unknown.status, 0, "404 for an unknown number: \(unknown.output)")
        // An offer without G.711 (G.729 only): 488.
        let codec = try SIPp.run("refused.xml", port: sipPort, service: "+15550001", keys: ["codec": "18"], substitutions: ["[expected]": "488"], in: directory)
        XCTAssertEqual(codec.status, 0, "488 without PCMU or PCMA: \(codec.output)")
        // A malformed INVITE: 400 from the stack.
        let malformed = try SIPp.run("malformed.xml", port: sipPort, service: "+15550001", in: directory)
        XCTAssertEqual(malformed.status, 0, "400 for a malformed INVITE: \(malformed.output)")
        XCTAssertTrue(malformed.messages.contains("SIP/2.0 400 Bad Contact Header"), malformed.messages)
        XCTAssertTrue(persistence.sessions(tenant: "demo", caller: "+15557654321").isEmpty, "no session was opened for a refused call")
    }

    /// The reason phrase the host chose reaches the peer as written, on UDP and TCP. It once
    /// reached it as freed memory (Sofia keeps the phrase's pointer until it sends): random bytes
    /// that, when they held a line break, made SIPp drop the refusal and wait until its timeout.
    func testARefusalsReasonPhraseReachesThePeerAsWritten() async throws {
        try await startSIPHost()
        for (transport, number, codec, expected) in [("u1", "+15559999", "0", "404 Not Found"), ("t1", "+15559999", "0", "404 Not Found"),
                                                     ("u1", "+15550001", "18", "488 Not Acceptable Here")] {
            let run = try SIPp.run("refused.xml", port: sipPort, service: number, keys: ["codec": codec],
                                   substitutions: ["[expected]": String(expected.prefix(3))], transport: transport, in: directory)
            XCTAssertEqual(run.status, 0, "\(expected) over \(transport): \(run.output)")
            let statusLines = run.messages.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("SIP/2.0 4") }
            XCTAssertFalse(statusLines.isEmpty, "SIPp received the refusal over \(transport): \(run.messages)")
            XCTAssertTrue(statusLines.allSatisfy { $0 == "SIP/2.0 \(expected)" }, "over \(transport): \(statusLines.map(\.debugDescription))")
        }
    }

    func testAPeerNoTenantAllowsIsRefusedWith403WhateverTheNumber() async throws {
        try await startSIPHost(allow: "127.0.0.1/32")
        for number in ["+15550001", "+15559999"] {
            let refused = try SIPp.run("refused.xml", port: sipPort, service: number, keys: ["codec": "0"],
                                       substitutions: ["[expected]": "403"], localAddress: "127.0.0.2", in: directory)
            XCTAssertEqual(refused.status, 0, "403 from 127.0.0.2 for \(number): \(refused.output)")
        }
        let allowed = try SIPp.run("refused.xml", port: sipPort, service: "+15559999", keys: ["codec": "0"],
                                   substitutions: ["[expected]": "404"], in: directory)
        XCTAssertEqual(allowed.status, 0, "an allowed peer learns the number is unknown: \(allowed.output)")
    }

    /// A withheld number (`From: <sip:anonymous@…>`) is nobody in particular (docs/protocol.md §8,
    /// "Withheld numbers"): each call goes by `withheld-sip-{Call-ID}`, a record of its own — never
    /// one shared by every withheld caller of the tenant, who would all be "returning" to each other.
    func testWithheldCallersOverSIPShareNoRecord() async throws {
        try await startSIPHost()
        let frames = try VoiceTestCaller.muLawFrames(VoiceTestCaller.silence(milliseconds: 600))
        let pcap = directory + "/silence.pcap"
        try SIPp.writePCAP(frames.filter { $0.count == 160 }, payloadType: 0, to: pcap)
        for _ in 0..<2 {
            let listener = try RTPListener()
            listener.start()
            let run = try SIPp.run("call.xml", port: sipPort, service: "+15550001", keys: ["rtp_listen_port": "\(listener.port)", "codec": "0"],
                                   substitutions: ["+15557654321": "anonymous"], pcap: pcap, pauseMilliseconds: 2_000, in: directory)
            listener.stop()
            XCTAssertEqual(run.status, 0, "the withheld caller's call completed: \(run.output)")
        }
        var callers: [String] = []
        for _ in 0..<200 where callers.count < 2 {
            callers = persistence.callers(tenant: "demo")
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(callers.count, 2, "two calls, two callers: \(callers)")
        for caller in callers {
            XCTAssertTrue(caller.hasPrefix("withheld-sip-"), "a withheld SIP caller goes by its call: \(caller)")
            XCTAssertEqual(persistence.sessions(tenant: "demo", caller: caller).count, 1, caller)
        }
        XCTAssertTrue(persistence.sessions(tenant: "demo", caller: "anonymous").isEmpty, "withheld callers share one record")
    }

    func testAnEscalationOverSIPSendsTheCallerOnWithAREFER() async throws {
        try await startSIPHost(transfer: ["default": "sip:queue@pbx.example"])
        let pcap = try await callerPCAP("I want to talk to a person.")
        let listener = try RTPListener()
        listener.start()
        let run = try SIPp.run("refer.xml", port: sipPort, service: "+15550001",
                               keys: ["rtp_listen_port": "\(listener.port)", "codec": "0"], pcap: pcap, in: directory)
        listener.stop()
        let found = try await record(caller: "+15557654321")
        let saved = try XCTUnwrap(found)
        XCTAssertEqual(run.status, 0, "the peer received REFER, accepted it and got the BYE: \(run.output) \(saved.transcript.map { "\($0.role): \($0.text)" })")
        XCTAssertTrue(run.messages.contains("REFER sip:"), "a REFER was sent: \(run.messages.suffix(3_000))")
        XCTAssertTrue(run.messages.contains("Refer-To: <sip:queue@pbx.example>") || run.messages.contains("Refer-To: sip:queue@pbx.example"),
                      "to the tenant's target: \(run.messages.suffix(3_000))")
        XCTAssertEqual(saved.outcome, "transferred")
        XCTAssertTrue(saved.tools.contains("escalate_to_human"), "\(saved.tools)")
    }

    func testKeysPressedArriveAsInputAndAgentDigitsLeaveAsRFC4733Events() async throws {
        try await startSIPHost()
        let listener = try RTPListener()
        listener.start()
        let port = sipPort, directory = self.directory
        let peer = Task.detached {
            try SIPp.run("digits.xml", port: port, service: "+15550001", keys: ["rtp_listen_port": "\(listener.port)", "codec": "0"],
                         pauseMilliseconds: 9_000, in: directory)
        }
        var session: String?
        for _ in 0..<200 where session == nil {
            session = deployment.services.keypad.sessions.first
            try await Task.sleep(for: .milliseconds(50))
        }
        let id = try XCTUnwrap(session, "the SIP call's session can send digits")
        XCTAssertFalse(deployment.services.keypad.send(session: id, tenant: "secure", digits: "1"), "only the call's own tenant")
        XCTAssertTrue(deployment.services.keypad.send(session: id, tenant: "demo", digits: "1w2#"))
        let run = try await peer.value
        listener.stop()
        XCTAssertEqual(run.status, 0, run.output)

        let events = listener.received.compactMap(RTPPacket.init).filter { $0.payloadType == 101 }
        var receiver = TelephoneEventReceiver()
        let keys = events.compactMap { packet in TelephoneEvent(packet.payload).flatMap { receiver.receive($0, timestamp: packet.timestamp) } }
        XCTAssertEqual(String(keys), "12#", "the agent's digits reached the peer as RFC 4733 events (\(events.count) packets)")
        XCTAssertEqual(events.filter(\.marker).count, 3, "each event starts with the marker")

        let found = try await record(caller: "+15557654321")
        let saved = try XCTUnwrap(found)
        let typed = saved.transcript.filter { $0.role == "user" }.map(\.text)
        XCTAssertTrue(typed.contains("5"), "the caller's key press is their input: \(typed)")
    }
}
