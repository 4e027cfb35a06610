import Foundation
import Host
import HostTenancy
import XCTest

/// A tenant's `voice.recognition:` profile (docs/voice.md, "Recognition profiles"): parsed, defaulted, refused
/// with a clear error, and carried into the served tenant's voice (what the host hands
/// `VoiceServices.offline`, see `VoiceServices.profiles(of:)`).
extension HostConfigurationTests {
    func testRecognitionProfileIsParsedAndReachesTheServedTenantsVoice() throws {
        let configured = try parse(voiceYAML("recognition: accurate")).tenants[0]
        XCTAssertEqual(configured.voice.recognition.rawValue, "accurate")
        XCTAssertEqual(TenantVoice(configured: configured).recognition.rawValue, "accurate")
        let fast = try parse(voiceYAML("recognition: fast")).tenants[0]
        XCTAssertEqual(TenantVoice(configured: fast).recognition.rawValue, "fast")
    }

    func testRecognitionProfileDefaultsToTheHostsStandard() throws {
        let configured = try parse(voiceYAML("engine: flite")).tenants[0]
        XCTAssertEqual(configured.voice.recognition, .standard)
        XCTAssertEqual(TenantVoice(configured: configured).recognition, .standard)
    }

    func testUnknownRecognitionProfileSaysWhichExist() {
        assertError(voiceYAML("recognition: turbo"),
                    #"t.yaml:6:20: tenant "acme": voice.recognition: "turbo" is not one of accurate, fast (see docs/voice.md, Recognition profiles)"#)
    }
}
