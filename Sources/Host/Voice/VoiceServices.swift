import Foundation
import HostSpeech

/// The speech engines a host's voice calls use: one recogniser per tenant (its language model is
/// built from what that tenant's plugins ship, so enabling a department teaches it the words) and
/// a synthesiser. Built once at start-up, off the loop.
public final class VoiceServices: Sendable {
    public let recognizers: [String: any SpeechRecognizer]
    public let synthesizer: any SpeechSynthesizer

    public init(recognizers: [String: any SpeechRecognizer], synthesizer: any SpeechSynthesizer) {
        self.recognizers = recognizers
        self.synthesizer = synthesizer
    }

    /// The phrases a tenant's agents ship: routing examples and handoff descriptions.
    public static func phrases(for tenant: TenantRuntime) -> [String] {
        tenant.agents.values.flatMap { agent -> [String] in
            (agent.instance.descriptor.agent?.examples ?? []) + [agent.instance.descriptor.agent?.handoffDescription ?? ""]
        }.filter { !$0.isEmpty }
    }

    /// Builds a pocketsphinx recogniser per tenant and the flite synthesiser.
    public static func offline(tenants: [TenantRuntime]) async throws -> VoiceServices {
        var recognizers: [String: any SpeechRecognizer] = [:]
        for tenant in tenants {
            let model = try DomainLanguageModel.build(phrases: phrases(for: tenant))
            recognizers[tenant.id] = try await PocketSphinxRecognizer.make(languageModel: model)
        }
        return VoiceServices(recognizers: recognizers, synthesizer: FliteSynthesizer())
    }
}
