import HostAudio
import HostModels
import HostSpeech
import HostTenancy
import HostVoice

extension HostServer {
    /// The call a tenant's voice mode asks for: Realtime (with the offline pipeline ready to take
    /// over) or the cascaded pipeline with the tenant's engines, cloud or offline.
    func makeCall(transport: CallTransport, tenant: ServedTenant, voice: VoiceServices, offlineRecognizer: any SpeechRecognizer,
                  realtimeFormat: RealtimeAudioFormat) -> any VoiceChannelCall {
        guard let configuration = tenant.voice.realtimeConfiguration(format: realtimeFormat) else {
            let call = VoiceCall(transport: transport, loop: loop, recognizer: voice.recognizer(for: tenant) ?? offlineRecognizer,
                                 synthesizer: voice.synthesizer(for: tenant), settings: tenant.voice)
            call.turnModel = voice.turnModels[tenant.id]
            return call
        }
        let fallback = VoiceCall(transport: transport, loop: loop, recognizer: offlineRecognizer,
                                 synthesizer: voice.synthesizer(engine: tenant.voice.engine), settings: tenant.voice)
        fallback.turnModel = voice.turnModels[tenant.id]
        return RealtimeCall(transport: transport, loop: loop, tenant: tenant, services: services,
                            configuration: configuration, fallback: fallback)
    }
}
