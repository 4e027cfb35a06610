import Foundation
import Host
import HostAudio
import HostNet
import HostOrchestration
import HostPlugins
import HostServer
import HostSpeech
import HostTenancy
import HostVoice

/// The host side of `agent-host-bench voice`, run as its own process (`agent-host-bench
/// voice-host MODE`) so its CPU and memory are read from /proc apart from the simulated callers'.
/// A HostServer on a free loopback port with the reference departments and canned tools (so the
/// figures are the host's, not a backend's), sessions kept in memory. Prints `port N`, then
/// answers `stall` on stdin with the longest loop stall since the last `stall` (ms).
struct VoiceBenchHost {
    enum Mode: String {
        /// pocketsphinx with the tenant's language model and flite for every reply.
        case full
        /// The same, with replies rendered by flite once per distinct text and replayed.
        case fullCached = "full-cached"
        /// No recognition or synthesis per call: VAD, turn detection, orchestration, paced audio.
        case media
        /// `full` with `turn_detection: {mode: semantic}` (250 / 1200 ms) for the demo tenant.
        case semantic
        /// `full` without the warm decoder pool: every call creates its decoder (the seed's way).
        case cold
    }

    let mode: Mode
    /// `agent-host-bench sip`: the SIP stack also listens here (UDP, 127.0.0.1; number +15550001).
    var sipPort: Int?
    /// `--listen ADDRESS`: where the voice socket listens (loopback unless the callers run on
    /// another machine: `voice --callers-via … --host-address ADDRESS`).
    var listenAddress: String?

    func run() throws {
        let deployment: LocalDeployment
        do {
            let sip = sipPort != nil
            deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: .url("http://127.0.0.1:9"),
                                             apiKey: "unused", configure: { configuration in
                                                 ReferenceDeployment.useCannedTools(&configuration)
                                                 if sip { configuration.telephony.sip = TenantSIP(allow: IPNetwork("127.0.0.0/8").map { [$0] } ?? []) }
                                             })
        } catch {
            throw ServerBenchmark.Failure(description: error.description)
        }
        var settings = HostServer.Settings()
        settings.http.port = 0
        if let listenAddress { settings.http.host = listenAddress }
        settings.http.backlog = 4096
        settings.maxSessions = 10_000
        settings.http.reusePort = BenchLoops.count > 1
        // Every simulated caller comes from 127.0.0.1: the per-address cap (256) would refuse most streams.
        settings.http.maxConnectionsPerClient = settings.http.maxConnections
        let tenants = [ServedTenant(runtime: deployment.tenant, maxConcurrentSessions: 10_000, maxSessionsPerCaller: 10, voice: tenantVoice)]
        let server = HostServer(settings: settings, loop: deployment.loop, services: deployment.services,
                                tenants: [ServedTenant(runtime: deployment.tenant, maxConcurrentSessions: 10_000, maxSessionsPerCaller: 10,
                                                       voice: tenantVoice)],
                                defaultTenant: deployment.tenant.id, persistence: InMemorySessionPersistence(), verifyKey: { _, _ in false })
        server.voice = try voiceServices(tenant: deployment.tenant)
        guard let started = deployment.loop.submitAndWait({ Result { try server.start() } }) else {
            throw ServerBenchmark.Failure(description: "loop not running")
        }
        let port = try started.get()
        if let sipPort {
            try server.startSIP(SIPTrunkConfiguration(listen: [.init(transport: .udp, host: "127.0.0.1", port: sipPort)],
                                                      tenants: ["+15550001": deployment.tenant.id], mediaAddress: "127.0.0.1"))
        }
        let loops = try BenchLoops.start(first: server, settings: settings, port: port, services: deployment.services,
                                         tenants: tenants, defaultTenant: deployment.tenant.id, store: InMemorySessionPersistence())
        let stalls = LoopsStallProbe(loops: [deployment.loop] + (loops?.loops ?? []))
        print("port \(port)")
        fflush(nil)
        while let line = readLine() {
            if line == "stall" {
                print(String(format: "stall %.3f", stalls.longestMilliseconds))
                fflush(nil)
                stalls.reset()
            }
        }
        stalls.stop()
        server.stopSIP()
        server.stop()
        loops?.stop()
        deployment.shutdown()
    }

    private var tenantVoice: TenantVoice {
        var voice = TenantVoice()
        if mode == .semantic { voice.semantic = SemanticTurnSettings() }
        return voice
    }

    private func voiceServices(tenant: TenantRuntime) throws -> VoiceServices {
        switch mode {
        case .media:
            return VoiceServices(recognizers: [tenant.id: FixedTranscriptRecognizer(text: VoiceBenchmark.mediaTranscript)],
                                 synthesizer: CachedSynthesizer(engine: FliteSynthesizer()))
        case .full, .fullCached, .semantic, .cold:
            let box = ServicesBox()
            let done = DispatchSemaphore(value: 0)
            Task {
                do { box.result = .success(try await VoiceServices.offline(tenants: [tenant], warmDecoders: mode == .cold ? 0 : 2,
                                                                               recognition: BenchRecognition.profiles(tenant: tenant.id))) } catch { box.result = .failure(error) }
                done.signal()
            }
            done.wait()
            let offline = try box.result!.get()
            // A host warms its decoders at start-up, before its first call: so does this one.
            for recognizer in offline.recognizers.values { (recognizer as? PocketSphinxRecognizer)?.waitForWarmPool() }
            guard mode == .fullCached else { return offline }
            return VoiceServices(recognizers: offline.recognizers, synthesizer: CachedSynthesizer(engine: offline.synthesizer))
        }
    }
}

private final class ServicesBox: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after.
    var result: Result<VoiceServices, any Error>?
}
