import Foundation
import Host
import HostAudio
import HostTenancy
import XCTest

/// `turn_detection: {mode: semantic, ...}` (docs/voice.md, docs/operations.md).
extension HostConfigurationTests {
    func turnYAML(_ body: String) -> String {
        """
        tenants:
          - id: acme
            plugins: [com.x.a]
            entry_agent: com.x.a
            turn_detection: \(body)

        """
    }

    func testSemanticTurnDetectionTakesItsSilencesAndBackchannelsAndServerVADStaysTheDefault() throws {
        let semantic = try parse(turnYAML(#"{mode: semantic, min_silence_ms: 300, max_silence_ms: 1500, backchannels: ["gotcha"]}"#))
        let detection = semantic.tenants[0].turnDetection
        XCTAssertEqual(detection.semantic, SemanticTurnSettings(minimumSilenceMilliseconds: 300, maximumSilenceMilliseconds: 1_500))
        XCTAssertEqual(detection.backchannels, ["gotcha"])
        let voice = TenantVoice(configured: semantic.tenants[0])
        XCTAssertEqual(voice.semantic?.maximumSilenceMilliseconds, 1_500)
        XCTAssertTrue(voice.backchannels.isBackchannel("gotcha"))
        XCTAssertNil(try parse(turnYAML("{silence_ms: 700}")).tenants[0].turnDetection.semantic, "server_vad by default")
        XCTAssertEqual(try parse(turnYAML("{mode: semantic}")).tenants[0].turnDetection.semantic, SemanticTurnSettings())
    }

    /// `prosody:` (the voice at a pause, docs/voice.md) is on with semantic mode unless switched off.
    func testProsodyIsOnWithSemanticModeAndCanBeSwitchedOff() throws {
        XCTAssertEqual(try parse(turnYAML("{mode: semantic}")).tenants[0].turnDetection.semantic?.prosody, true)
        let off = try parse(turnYAML("{mode: semantic, prosody: false}")).tenants[0]
        XCTAssertEqual(off.turnDetection.semantic?.prosody, false)
        XCTAssertEqual(TenantVoice(configured: off).semantic?.prosody, false)
        assertError(turnYAML("{prosody: true}"),
                    #"t.yaml:5:31: tenant "acme": turn_detection.prosody: applies to mode: semantic only (this tenant's turn detection is server_vad)"#)
    }

    func testSemanticTurnDetectionMistakesAreRefusedWithTheReason() {
        assertError(turnYAML("{mode: meaning}"), #"t.yaml:5:28: tenant "acme": turn_detection.mode: "meaning" is not one of server_vad, semantic"#)
        assertError(turnYAML("{mode: semantic, min_silence_ms: 900, max_silence_ms: 400}"),
                    #"t.yaml:5:75: tenant "acme": turn_detection.max_silence_ms: must be at least min_silence_ms (900)"#)
        assertError(turnYAML("{max_silence_ms: 900}"),
                    #"t.yaml:5:38: tenant "acme": turn_detection.max_silence_ms: applies to mode: semantic only (this tenant's turn detection is server_vad)"#)
    }
}
