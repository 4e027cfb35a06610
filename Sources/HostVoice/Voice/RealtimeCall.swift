import Foundation
import HostAudio
import HostModels
import HostNet
import HostOrchestration
import HostPlugins
import HostSpeech
import HostSupport
import HostTenancy

/// What the voice handlers drive, whatever the tenant's voice mode.
package protocol VoiceChannelCall: AnyObject, Sendable {
    var session: (any CallSession)? { get set }
    /// The call's channel: it decodes the caller's audio (Wire/CallAudioCodec).
    var transport: CallTransport { get }
    /// The rate the call wants caller audio at (PCM16), or nil while it does not listen.
    var listeningRate: Int? { get }
    /// Caller audio as PCM16 samples at `listeningRate`.
    func audio(_ samples: [Int16])
    func conversationEvent(_ event: ConversationEvent)
    /// The agent speaks first (phone lines; a voice client's `"greet": true`).
    func greet()
    /// Played to the caller before anything else (a recording's "this call may be recorded").
    func announce(_ text: String)
    func hangUp()
}

extension VoiceCall: VoiceChannelCall {
    package func greet() { session?.conversation?.greet() }
}

extension VoiceChannelCall {
    /// Caller audio off the wire: the transport decodes it at the rate the call listens at.
    package func receive(wire bytes: [UInt8]) {
        guard let rate = listeningRate else { return }
        audio(transport.receive(bytes, at: rate))
    }
}

/// A voice call in Realtime mode (issue #6): caller audio goes to a `RealtimeBrain` (24 kHz
/// PCM16, or mu-law at 8 kHz for a phone line, as the model's format says), its speech is paced out
/// by `RealtimePlayback`, and its events (transcripts, tools, handoffs) are recorded by the
/// session's `Conversation`, so the session record is a cascaded call's equal. When Realtime is
/// unavailable — at connect or mid-call — the client gets a `realtime_unavailable` error and the
/// same session goes on with the cascaded offline pipeline (`fallback`) from the next utterance.
/// Loop-confined: every method runs on the server loop's thread.
package final class RealtimeCall: VoiceChannelCall, @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread (the brain's callbacks run there).
    let loop: EventLoop
    package let transport: CallTransport
    private let tenant: ServedTenant
    private let services: HostServices
    private let configuration: RealtimeConfiguration
    /// The cascaded offline pipeline; it gets the session only when Realtime fails.
    private let fallback: VoiceCall
    private var brain: RealtimeBrain?
    private var playback: RealtimePlayback?
    /// Caller audio goes to `fallback` (set at once on failure) …
    private var fallenBack = false
    /// … and so do the conversation's events, once those the brain emitted before are delivered.
    private var eventsToFallback = false
    private var closed = false
    package var session: (any CallSession)? {
        didSet { session.map(attach) }
    }

    package init(transport: CallTransport, loop: EventLoop, tenant: ServedTenant, services: HostServices,
         configuration: RealtimeConfiguration, fallback: VoiceCall) {
        self.transport = transport
        self.loop = loop
        self.tenant = tenant
        self.services = services
        self.configuration = configuration
        self.fallback = fallback
    }

    /// The caller was queued for a person: the session ends after the model's reply.
    private var escalatedPending = false
    /// … or is being transferred to one (a phone line that can): it ends `transferred`, and the
    /// line moves the call when it closes.
    private var transferring = false

    private func transfer(department: String, reason: String?) -> String? {
        guard let conversation = session?.conversation, let agent = brain?.currentAgent.name,
              let words = conversation.transferSpokenByModel(department: department, reason: reason, agentName: agent) else { return nil }
        transferring = true
        return words
    }
    /// A greeting asked for before the session (and so the brain) existed.
    private var greetOnAttach = false

    /// The model greets once its session is ready; after a fallback the offline entry agent does.
    /// An announcement being synthesised plays first: the greeting waits for it.
    package func greet() {
        if fallenBack { return fallback.greet() }
        if announcing {
            greetAfterAnnouncement = true
            return
        }
        if let brain { brain.greet() } else { greetOnAttach = true }
    }

    /// The announcement is synthesised off the loop by the offline voice (the model speaks only
    /// what it generates) and queued before anything the model says: the greeting waits for it.
    private var announcing = false
    private var greetAfterAnnouncement = false

    package func announce(_ text: String) {
        guard !closed else { return }
        announcing = true
        let synthesizer = fallback.synthesizer, loop = self.loop
        Task {
            let audio = try? await synthesizer.synthesizeAll(text: text)
            loop.execute { [self] in announced(audio?.samples ?? [], rate: synthesizer.sampleRate) }
        }
    }

    private func announced(_ samples: [Int16], rate: Int) {
        announcing = false
        if samples.isEmpty {
            Logger.shared.log(.error, "voice", "session \(session?.id ?? "-"): the recording announcement could not be synthesised")
        } else if !closed, !fallenBack {
            playback?.enqueue(samples, at: rate)
        }
        if greetAfterAnnouncement {
            greetAfterAnnouncement = false
            greet()
        }
    }

    private func attach(_ session: any CallSession) {
        guard !closed else { return session.end(reason: "caller_hangup") }
        playback = RealtimePlayback(loop: loop, transport: transport, inputRate: configuration.audioFormat.sampleRate)
        brain = RealtimeBrain(tenant: tenant.runtime, configuration: configuration, loop: loop, services: services,
                              sessionID: session.id, callerID: session.caller,
                              onAudio: { [weak self] samples in self?.playback?.enqueue(samples) },
                              onEvent: { [weak self] event in self?.brainEvent(event) },
                              onUnavailable: { [weak self] reason in self?.unavailable(reason) })
        brain?.transferOnEscalation = { [weak self] department, reason in self?.transfer(department: department, reason: reason) }
        if greetOnAttach { brain?.greet() }
    }

    // MARK: caller audio

    /// The model's rate (8 kHz for mu-law), the cascaded pipeline's after a fallback; nothing
    /// while the session is still opening.
    package var listeningRate: Int? {
        if closed { return nil }
        if fallenBack { return fallback.listeningRate }
        return brain == nil ? nil : configuration.audioFormat.sampleRate
    }

    package func audio(_ samples: [Int16]) {
        guard !closed else { return }
        if fallenBack { return fallback.audio(samples) }
        guard let brain else { return }  // the session is still opening
        // A mu-law model gets G.711 again: a phone line's bytes decode and re-encode to the same sound.
        if configuration.audioFormat == .pcmu { return brain.callerAudio(muLaw: MuLaw.encode(samples)) }
        brain.callerAudio(samples: samples)
    }

    // MARK: the brain

    /// The service heard the caller start speaking: what is still playing is cut (barge-in) and
    /// the service is told how much was heard. Every event goes to the session's record.
    private func brainEvent(_ event: ConversationEvent) {
        guard let conversation = session?.conversation else { return }
        conversation.record(external: event)
        switch event {
        case .speechStarted:
            if let playback, playback.isActive { brain?.bargeIn(playedMilliseconds: playback.interrupt()) }
        case .escalated:
            escalatedPending = true
        case .turnEnd where escalatedPending:
            endWhenPlayed(reason: transferring ? "transferred" : "escalated")
        default:
            break
        }
    }

    /// Ends the session once the agent's last words have played (15 s at most).
    private func endWhenPlayed(reason: String) {
        let timer = LoopTimer(loop: loop)
        var waited = 0
        timer.start(after: 100, repeat: 100) { [weak self] in
            waited += 100
            guard let self else { return timer.close() }
            guard !(playback?.isActive ?? false) || waited >= 15_000 else { return }
            timer.close()
            session?.end(reason: reason)
        }
    }

    private func unavailable(_ reason: String) {
        guard !fallenBack, !closed, let session else { return }
        fallenBack = true
        playback?.stop()
        transport.clearAudio()
        Logger.shared.log(.warning, "voice", "session \(session.id): \(reason); the offline pipeline takes the call over")
        session.conversation?.record(external: .error(code: "realtime_unavailable",
                                                      message: "\(reason); the offline pipeline answers from the next utterance"))
        // After the events already on their way (record hops to the loop), so none is spoken twice.
        loop.execute { [self] in
            eventsToFallback = true
            fallback.session = session
        }
    }

    // MARK: the conversation's events

    package func conversationEvent(_ event: ConversationEvent) {
        if eventsToFallback { return fallback.conversationEvent(event) }
        transport.send(event: event)
        if case .end = event { finish() }
    }

    private func finish() {
        closed = true
        brain?.close()
        playback?.stop()
        transport.close()
    }

    package func hangUp() {
        guard !closed else { return }
        if fallenBack {
            closed = true
            return fallback.hangUp()
        }
        closed = true
        brain?.close()
        playback?.stop()
        session?.end(reason: "caller_hangup")
    }
}
