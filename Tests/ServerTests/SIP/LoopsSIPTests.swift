import Foundation
import Host
import HostAudio
import HostNet
import TestSupport
import XCTest

/// SIP calls on a host with `server.loops: 2` (docs/telephony.md, "SIP trunk"): a real
/// `agent-host serve` with a `sip:` trunk, two real SIP peers (SIPp) calling at the same time.
/// Sofia hands every event to the first loop, which gives each new call to the least loaded loop
/// (ties in turn): the two calls live on different loops, and each is answered and hears the
/// agent's greeting as RTP from its own loop.
final class LoopsSIPTests: HostProcessTestCase {
    func testTwoSimultaneousCallsAreSpreadOverBothLoopsAndBothAreAnswered() throws {
        let sipPort = try LoopbackUDPPort.free()
        let port = try LoopbackPort.free()
        let yaml = demoYAML(port: port, journal: "loops-sip", server: "  loops: 2\n",
                            tenantLimits: "    sip: {allow: [\"127.0.0.0/8\"]}\n")
            + "sip:\n  listen: [\"udp:127.0.0.1:\(sipPort)\"]\n  media_address: 127.0.0.1\n  tenants: {\"+15550001\": demo}\n"
        let path = directory.file("loops-sip.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let host = try launchHost("loops-sip", config: path, port: port)

        // The callers say nothing (three seconds of mu-law silence): the greeting is what they hear.
        let silence = [[UInt8]](repeating: [UInt8](repeating: 0xFF, count: 160), count: 150)
        let callers = ["+15557000001", "+15557000002"]
        let runs = LockedBox<[String: (SIPp.Run, [[UInt8]])]>([:])
        let group = DispatchGroup()
        for caller in callers {
            let folder = directory.file("sip-\(caller)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try SIPp.writePCAP(silence, payloadType: 0, to: folder + "/caller.pcap")
            let listener = try RTPListener()
            listener.start()
            group.enter()
            Thread {
                defer { group.leave() }
                let run = try? SIPp.run("call.xml", port: sipPort, service: "+15550001", keys: ["rtp_listen_port": "\(listener.port)", "codec": "0"],
                                        substitutions: ["+15557654321": caller], pcap: folder + "/caller.pcap",
                                        pauseMilliseconds: 8_000, in: folder)
                listener.stop()
                if let run { runs.mutate { $0[caller] = (run, listener.received) } }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success, "both SIPp runs ended")

        for caller in callers {
            let result = try XCTUnwrap(runs.value[caller], "SIPp ran for \(caller)")
            XCTAssertEqual(result.0.status, 0, "\(caller)'s call completed (INVITE 200 ACK ... BYE 200): \(result.0.output)")
            let packets = result.1.compactMap(RTPPacket.init)
            let loud = packets.flatMap { MuLaw.decode($0.payload) }.filter { abs(Int($0)) > 2_000 }.count
            XCTAssertGreaterThan(loud, 2_000, "\(caller) heard the greeting as RTP (\(packets.count) packets)")
        }
        let answered = host.logText.split(separator: "\n").filter { $0.contains("[sip]") && $0.contains("RTP ") }
        XCTAssertEqual(answered.count, 2, answered.joined(separator: "\n"))
        XCTAssertTrue(answered.contains { $0.contains("(loop 0)") } && answered.contains { $0.contains("(loop 1)") },
                      "one call on each loop:\n\(answered.joined(separator: "\n"))")
        XCTAssertTrue(try eventually(15) { try metric(host, "agent_host_active_sessions") == 0 }, "both calls ended with their BYE")
    }
}
