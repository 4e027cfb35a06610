import Foundation
import HostModels
import HostNet
import ModelStandIn
import TestSupport
import XCTest

/// Every way the Realtime service can be unavailable ends in one typed `onFailure`, so the call
/// can fall back to the cascaded offline pipeline.
final class RealtimeFailureTests: XCTestCase {
    private let speakingScript = RealtimeScript(turns: [.init(heard: "hello", steps: [.say("Hi there, how can I help?", milliseconds: 1_000)])])

    private func configuration(url: String, key: String = "sk-standin", tls: TLSClientConfiguration = TLSClientConfiguration()) -> RealtimeConfiguration {
        RealtimeConfiguration(url: url, apiKey: key, tls: tls, connectTimeoutMilliseconds: 1_000, stallTimeoutMilliseconds: 400)
    }

    private func failure(_ probe: RealtimeProbe, afterSpeaking: Bool = false) -> RealtimeFailure? {
        if afterSpeaking {
            XCTAssertTrue(probe.waitFor(line: "ready"))
            probe.speak()
        }
        XCTAssertTrue(probe.waitFor { $0.hasPrefix("failure:") }, "\(probe.lines.value)")
        XCTAssertEqual(probe.lines.value.filter { $0.hasPrefix("failure:") }.count, 1, "reported once")
        return probe.failure.value
    }

    func testConnectionRefused() {
        let probe = RealtimeProbe(configuration: configuration(url: "ws://127.0.0.1:\(unusedPort())/v1/realtime"))
        XCTAssertEqual(failure(probe)?.kind, .connect)
    }

    func testWrongKeyIsRejectedWith401() throws {
        let standIn = try RealtimeStandIn(script: speakingScript)
        let probe = RealtimeProbe(configuration: configuration(url: standIn.url, key: "sk-wrong"))
        let reason = failure(probe)
        XCTAssertEqual(reason?.kind, .rejected)
        XCTAssertEqual(reason?.status, 401)
        XCTAssertTrue(reason?.message.contains("invalid_api_key") ?? false)
    }

    func testServiceUnavailableIsRejected() throws {
        let standIn = try RealtimeStandIn(script: speakingScript, failure: .reject(status: 503))
        let reason = failure(RealtimeProbe(configuration: configuration(url: standIn.url)))
        XCTAssertEqual(reason?.kind, .rejected)
        XCTAssertEqual(reason?.status, 503)
    }

    func testHandshakeTimeoutWhenTheServerNeverAnswersTheUpgrade() throws {
        // A socket that listens but never accepts: the kernel completes TCP, nobody answers HTTP.
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        XCTAssertEqual(listen(socket, 8), 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let reason = failure(RealtimeProbe(configuration: configuration(url: "ws://127.0.0.1:\(port)/v1/realtime")))
        XCTAssertEqual(reason?.kind, .handshakeTimeout)
    }

    func testHangAfterOpen() throws {
        let standIn = try RealtimeStandIn(script: speakingScript, failure: .hangAfterOpen)
        let reason = failure(RealtimeProbe(configuration: configuration(url: standIn.url)))
        XCTAssertEqual(reason?.kind, .hang)
        XCTAssertEqual(reason?.message, "no server event for 400 ms while waiting for session.updated")
    }

    func testHangMidResponse() throws {
        let standIn = try RealtimeStandIn(script: speakingScript, failure: .hangMidResponse)
        let probe = RealtimeProbe(configuration: configuration(url: standIn.url))
        let reason = failure(probe, afterSpeaking: true)
        XCTAssertEqual(reason?.kind, .hang)
        XCTAssertEqual(reason?.message, "no server event for 400 ms while waiting for the response")
        XCTAssertGreaterThan(probe.audioSamples.value, 0, "the first delta was played before the hang")
    }

    func testMalformedJSON() throws {
        let standIn = try RealtimeStandIn(script: speakingScript, failure: .malformedJSON)
        let reason = failure(RealtimeProbe(configuration: configuration(url: standIn.url)), afterSpeaking: true)
        XCTAssertEqual(reason?.kind, .malformedEvent)
    }

    func testDropMidStream() throws {
        let standIn = try RealtimeStandIn(script: speakingScript, failure: .dropMidStream)
        let reason = failure(RealtimeProbe(configuration: configuration(url: standIn.url)), afterSpeaking: true)
        XCTAssertEqual(reason?.kind, .dropped)
        XCTAssertTrue(reason?.message.hasPrefix("the connection dropped") ?? false, reason?.message ?? "nil")
    }

    func testOverTLSWithTheCAItWorksAndWithoutItIsRefused() throws {
        let standIn = try RealtimeStandIn(script: speakingScript)
        let directory = TemporaryDirectory(prefix: "realtime-wss")
        let certificates = try TestCertificates.make(in: directory.path)
        let terminator = try TLSTerminator(certificates: certificates, backendPort: standIn.port)
        defer { terminator.stop() }
        let url = "wss://localhost:\(terminator.port)/v1/realtime"
        let trusted = RealtimeProbe(configuration: configuration(url: url, tls: TLSClientConfiguration(caFile: certificates.caFile)))
        XCTAssertTrue(trusted.waitFor(line: "ready"))
        trusted.speak()
        XCTAssertTrue(trusted.waitFor(line: "done:completed"))
        XCTAssertEqual(trusted.audioSamples.value, 24_000)
        let untrusted = RealtimeProbe(configuration: configuration(url: url))
        let reason = failure(untrusted)
        XCTAssertEqual(reason?.kind, .tls)
        XCTAssertTrue(reason?.message.hasPrefix("certificate verify failed") ?? false, reason?.message ?? "nil")
    }
}
