import Foundation
import Host
import HostPlugins
@testable import HostSpeech
import HostTenancy
import HostVoice
import TestSupport
import XCTest

/// `voice.recognition:` through the production path: a configuration file's tenant → its
/// served voice (`TenantVoice(configured:)`) → `VoiceServices.profiles(of:)` → the recogniser
/// `VoiceServices.offline` builds (as HostRunner and HostReloader do) → a call's decoder, whose
/// engine settings are read back; and that recogniser still hears flite speech of the tenant's
/// own requests as the right words.
final class RecognitionProfileServingTests: XCTestCase {
    func testConfiguredProfileReachesACallsDecoderAndHearsSpeech() async throws {
        let deployment = try LocalDeployment(pluginDirectories: [BuildProducts.directory])
        defer { deployment.shutdown() }
        let phrases = Array(VoiceServices.phrases(for: deployment.tenant).dropFirst(3).prefix(4))
        XCTAssertEqual(phrases.count, 4)
        let flite = FliteSynthesizer()
        var speech: [[Int16]] = []
        for phrase in phrases { speech.append(try await flite.synthesizeAll(text: phrase).samples) }
        for (name, fwdflat) in [("accurate", 1), ("fast", 0)] {
            let configured = try HostConfiguration.parse("""
                tenants:
                  - id: \(deployment.tenant.id)
                    plugins: [com.x.a]
                    entry_agent: com.x.a
                    voice:
                      recognition: \(name)
                """, file: "t.yaml", environment: [:]).tenants[0]
            let served = ServedTenant(runtime: deployment.tenant, voice: TenantVoice(configured: configured))
            let services = try await VoiceServices.offline(tenants: [served.runtime], warmDecoders: 1, recognition: VoiceServices.profiles(of: [served]))
            let recognizer = try XCTUnwrap(services.recognizer(for: served) as? PocketSphinxRecognizer)
            recognizer.waitForWarmPool()
            let session = try XCTUnwrap(recognizer.makeSession(onPartial: nil) as? PocketSphinxSession)
            defer { session.close() }
            _ = try await session.ready()
            let setting = await withCheckedContinuation { continuation in session.decoderSetting("-fwdflat") { continuation.resume(returning: $0) } }
            XCTAssertEqual(setting, fwdflat, "\(name): the call's decoder runs with the tenant's profile")
            for (key, value) in RecognitionProfile(rawValue: name)!.decoderOptions {
                XCTAssertEqual(recognizer.arguments.firstIndex(of: key).map { recognizer.arguments[$0 + 1] }, value, "\(name): \(key)")
            }
            var total = WordErrorRate()
            for (phrase, samples) in zip(phrases, speech) {
                let silence = [Int16](repeating: 0, count: 4_800)
                let audio = silence + samples + silence
                for start in stride(from: 0, to: audio.count, by: 320) { session.accept(samples: Array(audio[start..<min(start + 320, audio.count)])) }
                let heard = try await session.finish().text
                total = total + WordErrorRate(reference: phrase, hypothesis: heard)
                print("[speech] \(name): \"\(phrase)\" -> \"\(heard)\"")
            }
            XCTAssertLessThanOrEqual(total.rate, 0.15, "\(name): \(total.errors) errors in \(total.referenceWords) words")
        }
    }
}
