import Foundation
import Host
import HostModels
import HostNet
import HostOrchestration
import HostPlugins
import HostServer
import HostVoice
import TestSupport
import XCTest

/// The dtmf draft from an isolated plugin (`isolation: process`): a C agent in a real plugin
/// runner sends digits on a Twilio call; they cross the runner's wire (W_DTMF_SEND, revision 4)
/// and reach the call — Twilio (the REST stand-in) is asked to play them.
final class TwilioIsolatedDigitsTests: ServerTestCase {
    private var twilio: TwilioRESTStandIn!
    private var fixtures: TemporaryDirectory!
    static let keypad = "com.example.isolation.keypad"

    override func setUp() async throws {
        twilio = try TwilioRESTStandIn()
        fixtures = TemporaryDirectory(prefix: "keypad-fixture")
        try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/IsolationTests/Fixtures/keypad_agent.c",
                                 includeDirectory: BuildProducts.repositoryRoot + "/Sources/PluginABI/include",
                                 output: fixtures.file("libkeypad_agent.so"))
        let standIn = twilio!
        try startServer(pluginDirectories: [BuildProducts.directory, fixtures.path]) { configuration in
            configuration.plugins = [Self.keypad]
            configuration.entryAgent = Self.keypad
            configuration.defaultIsolation = PluginIsolation(mode: .process)
            configuration.grantedExtensions = [AH_EXT_DTMF_DRAFT_ID]
            configuration.telephony.twilio = standIn.account()
        }
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
    }

    override func tearDown() {
        super.tearDown()
        twilio?.stop()
    }

    func testAnIsolatedAgentsDigitsArePlayedOnTheTwilioCall() async throws {
        XCTAssertTrue(deployment.tenant.entryAgent.instance is IsolatedInstance, "the agent runs in a plugin runner")
        let callSid = "CA" + String(repeating: "7", count: 32)
        twilio.placeCall(callSid)
        let ws = base.replacingOccurrences(of: "http://", with: "ws://") + "/twilio/media"
        let call = try VoiceTestCaller(url: ws, headers: try TwilioTestSignature.streamHeaders(authToken: twilio.authToken, url: "wss://voice.example.com/twilio/media"))
        call.socket.send(text: #"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ7","callSid":"\#(callSid)","tracks":["inbound"],"customParameters":{"tenant":"demo","caller":"+15557770000"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ7"}"#)
        var registered = false
        for _ in 0..<200 where !registered {
            registered = !deployment.services.keypad.sessions.isEmpty
            if !registered { try await Task.sleep(for: .milliseconds(50)) }
        }
        XCTAssertTrue(registered, "the call's session can send digits")

        // The caller presses 9: typed input "9"; the isolated agent sends "ww1234#" through the draft.
        call.socket.send(text: #"{"event":"dtmf","streamSid":"MZ7","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"9"}}"#)
        var state: TwilioRESTStandIn.Call?
        for _ in 0..<200 {
            state = twilio.call(callSid)
            if state?.playedDigits.isEmpty == false { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(state?.playedDigits, ["ww1234#"], "Twilio was asked to play the isolated agent's digits: \(twilio.requests)")
        XCTAssertEqual(state?.streamURL, "wss://voice.example.com/twilio/media", "and to reconnect the stream")
        call.close()
    }
}

/// The draft's id as a Swift string (the C macro is a string literal).
private let AH_EXT_DTMF_DRAFT_ID = "agent_host.dtmf.draft/0"
