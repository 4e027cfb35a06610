import Foundation
import HostModels
import HostNet
import HostOrchestration
import HostSpeech
import HostTenancy

/// The speech engines a host's voice calls use: one recogniser per tenant (its language model is
/// built from what that tenant's plugins ship, so enabling a department teaches it the words) and
/// synthesisers by engine name. Built once at start-up, off the loop.
///
/// Speech is a capability: any `SpeechRecognizer` / `SpeechSynthesizer` (HostSpeech's protocols)
/// can be put here — a cloud provider plugs in by implementing them; the audio loop does not change.
public final class VoiceServices: Sendable {
    public let recognizers: [String: any SpeechRecognizer]
    /// The default synthesiser (tenants that choose no engine).
    public let synthesizer: any SpeechSynthesizer
    /// Other engines by name ("espeak-ng"); a tenant's `voice.engine` picks one.
    public let synthesizers: [String: any SpeechSynthesizer]

    /// Per-tenant cloud engines (`stt: openai`, `tts: openai`) used instead of the offline ones;
    /// the offline ones stay for Realtime calls that fall back.
    public let tenantRecognizers: [String: any SpeechRecognizer]
    public let tenantSynthesizers: [String: any SpeechSynthesizer]
    /// Per tenant: the "complete request?" model semantic turn detection asks (trained from the
    /// same phrases as the language model). A tenant without one decides by the rules alone.
    public let turnModels: [String: TurnCompletionModel]

    public init(recognizers: [String: any SpeechRecognizer], synthesizer: any SpeechSynthesizer,
                synthesizers: [String: any SpeechSynthesizer] = [:],
                tenantRecognizers: [String: any SpeechRecognizer] = [:], tenantSynthesizers: [String: any SpeechSynthesizer] = [:],
                turnModels: [String: TurnCompletionModel] = [:]) {
        self.turnModels = turnModels
        self.recognizers = recognizers
        self.synthesizer = synthesizer
        self.synthesizers = synthesizers
        self.tenantRecognizers = tenantRecognizers
        self.tenantSynthesizers = tenantSynthesizers
    }

    /// The synthesiser for an engine name; unknown names get the default.
    public func synthesizer(engine: String) -> any SpeechSynthesizer {
        synthesizers[engine] ?? synthesizer
    }

    /// A tenant's cascaded calls: its cloud engines where it chose them, else the offline ones.
    public func recognizer(for tenant: ServedTenant) -> (any SpeechRecognizer)? {
        tenantRecognizers[tenant.id] ?? recognizers[tenant.id]
    }

    public func synthesizer(for tenant: ServedTenant) -> any SpeechSynthesizer {
        tenantSynthesizers[tenant.id] ?? synthesizer(engine: tenant.voice.engine)
    }

    /// These services plus CloudRecognizer / CloudSynthesizer for the tenants whose `voice:`
    /// chose OpenAI-compatible speech; uploads and streams run on `http` (the host's curl multi).
    public func addingCloudSpeech(for tenants: [ServedTenant], http: HTTPClient) -> VoiceServices {
        var stt = tenantRecognizers, tts = tenantSynthesizers
        for tenant in tenants {
            if let endpoint = tenant.voice.transcription { stt[tenant.id] = CloudRecognizer(endpoint: endpoint, http: http) }
            if let endpoint = tenant.voice.speech { tts[tenant.id] = CloudSynthesizer(endpoint: endpoint, http: http) }
        }
        return VoiceServices(recognizers: recognizers, synthesizer: synthesizer, synthesizers: synthesizers,
                             tenantRecognizers: stt, tenantSynthesizers: tts, turnModels: turnModels)
    }

    /// The phrases a tenant's agents ship: routing examples and handoff descriptions, in the
    /// order of the agents' names. The order matters: the first phrases are the warm decoders'
    /// warm-up audio (their cepstral mean) and the completeness model is trained in this order.
    /// `tenant.agents` is a dictionary, whose order Swift seeds afresh in every process: taken in
    /// that order, the same tenant got different warm decoders and a different model at each
    /// start, and the same audio was recognised and judged differently (docs/benchmarks.md).
    public static func phrases(for tenant: TenantRuntime) -> [String] {
        tenant.agents.sorted { $0.key < $1.key }.map(\.value).flatMap { agent -> [String] in
            (agent.instance.descriptor.agent?.examples ?? []) + [agent.instance.descriptor.agent?.handoffDescription ?? ""]
        }.filter { !$0.isEmpty }
    }

    /// Builds a pocketsphinx recogniser per tenant, flite (default) and espeak-ng. Each tenant's
    /// recogniser keeps `warmDecoders` decoders ready (growing with the call rate), adapted on
    /// the tenant's own phrases spoken by flite, so a call's first turn is as fast as the rest.
    /// `recognition`: each tenant's `voice.recognition:` profile by tenant id (`profiles(of:)`);
    /// a tenant not in it gets `RecognitionProfile.standard`.
    public static func offline(tenants: [TenantRuntime], warmDecoders: Int = 2,
                               recognition: [String: RecognitionProfile] = [:]) async throws -> VoiceServices {
        var recognizers: [String: any SpeechRecognizer] = [:]
        var turnModels: [String: TurnCompletionModel] = [:]
        let flite = FliteSynthesizer()
        for tenant in tenants {
            // Backchannels are in the model so "uh huh" is heard as itself, not as the nearest request.
            let model = try DomainLanguageModel.build(phrases: phrases(for: tenant) + Backchannels.languageModelPhrases)
            let warmUp = warmDecoders > 0 ? try await warmUpAudio(phrases(for: tenant), synthesizer: flite) : []
            // A tenant that takes phone calls (Twilio, a SIP trunk) starts with one phone-warmed decoder.
            let phone = tenant.configuration.telephony.twilio != nil || tenant.configuration.telephony.sip != nil
            // The tenant's `voice.recognition:` profile picks the decoder's effort (RecognitionProfile).
            recognizers[tenant.id] = try await PocketSphinxRecognizer.make(languageModel: model,
                                                                           options: (recognition[tenant.id] ?? .standard).decoderOptions,
                                                                           warmDecoders: warmDecoders,
                                                                           phoneWarmDecoders: phone ? 1 : 0, warmUpAudio: warmUp,
                                                                           secondOpinions: true)
            var turnModel = TurnCompletionModel.train(completeExamples: phrases(for: tenant))
            // Misheard audio rarely fits the tenant's language: such a pause is left to the maximum.
            turnModel.languageFit = LanguageFit(model: model)
            turnModels[tenant.id] = turnModel
        }
        return VoiceServices(recognizers: recognizers, synthesizer: FliteSynthesizer(),
                             synthesizers: ["espeak-ng": EspeakSynthesizer(outputSampleRate: 16_000)], turnModels: turnModels)
    }

    /// The served tenants' recognition profiles by tenant id (`offline`'s `recognition`).
    public static func profiles(of tenants: [ServedTenant]) -> [String: RecognitionProfile] {
        Dictionary(tenants.map { ($0.id, $0.voice.recognition) }, uniquingKeysWith: { first, _ in first })
    }

    /// About three seconds of the tenant's phrases, spoken: what warm decoders adapt on.
    static func warmUpAudio(_ phrases: [String], synthesizer: FliteSynthesizer) async throws -> [Int16] {
        let text = phrases.prefix(3).joined(separator: ". ")
        guard !text.isEmpty else { return [] }
        return try await synthesizer.synthesizeAll(text: text).samples
    }
}
