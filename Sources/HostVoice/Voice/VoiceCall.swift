import Foundation
import HostAudio
import HostNet
import HostOrchestration
import HostSpeech
import HostSupport
import HostTenancy

/// One voice call, whatever the channel (`WS /ws/voice/{caller}` or Twilio Media Streams): caller
/// audio in (16 kHz PCM16, decoded by the channel's transport: Wire/CallAudioCodec) -> 20 ms frames -> the
/// tenant's server VAD; speech is streamed to the recogniser on its own queue while the caller
/// talks, so only the decoder's finish remains at the end of the turn; the text enters the same
/// orchestration as chat; the agent's replies are synthesised off the loop and played by
/// `AgentPlayback`. Caller speech during playback holds it at once and, when it is confirmed as
/// speech, interrupts it (barge-in) and the conversation keeps only what the caller heard.
/// What happens on each event is decided by `VoiceCallStateMachine` (the call's states, the
/// recognitions in flight, barge-in); this class performs its actions on the real audio,
/// recogniser, playback and session. Loop-confined: every method runs on the server loop's thread.
package final class VoiceCall: @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread (engine callbacks hop back via execute).
    let loop: EventLoop
    package let transport: CallTransport
    /// What the call sends goes through here: it times the turn's stages (`turn_end`'s `latency_ms`).
    private let output: TurnLatencyOutput
    private let recognizer: any SpeechRecognizer
    package let synthesizer: any SpeechSynthesizer
    private let settings: TenantVoice
    package var session: (any CallSession)? {
        didSet { session.map(attach) }
    }
    private var reframer = Reframer(sampleRate: 16_000)
    /// Server VAD (`min == max` silence: never asks) or semantic end of turn (asks the model).
    private var detector: SemanticTurnDetector
    /// Semantic mode: the tenant's "complete request?" model (nil: its rules alone).
    package var turnModel: TurnCompletionModel?
    /// Opening, live, hung up, ended; the recognitions in flight; speech over the agent.
    private var machine: VoiceCallStateMachine
    private var recognition: RecognitionSession?
    private var playback: AgentPlayback?
    /// The grammar in force for the caller's next utterance (nil: open recognition).
    private var grammar: RecognitionGrammar?
    /// The utterance being recognised's `speech_recognition` span (VoiceCall+Tracing.swift).
    var recognitionSpan: TraceSpan?

    package init(transport: CallTransport, loop: EventLoop, recognizer: any SpeechRecognizer,
         synthesizer: any SpeechSynthesizer, settings: TenantVoice) {
        self.transport = transport
        self.loop = loop
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.settings = settings
        output = TurnLatencyOutput(wrapping: transport, loop: loop)
        let window = settings.turnDetection.silenceMilliseconds
        detector = SemanticTurnDetector(settings: settings.turnDetection,
                                        semantic: settings.semantic ?? SemanticTurnSettings(minimumSilenceMilliseconds: window, maximumSilenceMilliseconds: window),
                                        sampleRate: 16_000)
        machine = VoiceCallStateMachine(semanticBackchannels: settings.semantic == nil ? nil : settings.backchannels)
    }

    /// The session is open: the call starts — or, if the caller hung up while it was opening, the
    /// session ends (and is persisted) at once.
    private func attach(_ session: any CallSession) {
        perform(machine.sessionAttached())
    }

    /// The agent's playback and the recogniser, for the session just attached.
    private func startCall() {
        guard let session else { return }
        output.metrics = session.conversation?.services.metrics
        output.tenant = session.conversation?.tenant.id ?? ""
        if let metrics = output.metrics, let pool = (recognizer as? PocketSphinxRecognizer)?.warmPool {
            // The warm pool as this call found it: decoders ready, target, and their memory.
            metrics.set("agent_host_voice_warm_decoders", Double(pool.ready), labels: ["tenant": output.tenant])
            metrics.set("agent_host_voice_warm_decoders_target", Double(pool.target), labels: ["tenant": output.tenant])
            metrics.set("agent_host_voice_warm_decoder_bytes", Double((pool.bytesPerDecoder ?? 0) * pool.ready), labels: ["tenant": output.tenant])
        }
        if let metrics = output.metrics, let pool = (recognizer as? PocketSphinxRecognizer)?.phoneWarmPool {
            // The phone calls' pool (decoders adapted on phone-band audio), the same way.
            metrics.set("agent_host_voice_warm_phone_decoders", Double(pool.ready), labels: ["tenant": output.tenant])
            metrics.set("agent_host_voice_warm_phone_decoders_target", Double(pool.target), labels: ["tenant": output.tenant])
            metrics.set("agent_host_voice_warm_phone_decoder_bytes", Double((pool.bytesPerDecoder ?? 0) * pool.ready), labels: ["tenant": output.tenant])
        }
        let playback = AgentPlayback(loop: loop, transport: output, synthesizer: synthesizer, voice: settings.name)
        // Semantic mode keeps talking over a possible backchannel; server VAD holds at once.
        playback.isHeld = { [unowned self] in machine.holdsPlaybackOnCandidateSpeech && detector.hasCandidateSpeech }
        playback.onSynthesisFailed = { [output] message in
            output.send(event: .error(code: "synthesis_failed", message: message))
        }
        traceSynthesis(of: playback)
        self.playback = playback
        let transport = self.output
        // A phone line's audio is narrowband even at 16 kHz: the recogniser must not adapt from wideband.
        recognition = recognizer.makeSession(band: AudioBand(sampleRate: transport.wireFormat.sampleRate), onPartial: { [loop] partial in
            loop.execute { transport.send(event: .user(text: partial, final: false)) }
        })
    }

    // MARK: caller audio

    /// Caller audio wanted as 16 kHz PCM16; nil once the call stopped listening.
    package var listeningRate: Int? { machine.isListening ? 16_000 : nil }

    /// Caller audio (16 kHz PCM16, any count): cut into 20 ms frames, run the turn detector.
    package func audio(_ samples: [Int16]) {
        loop.preconditionInLoop()
        guard machine.isListening else { return }
        for frame in reframer.frames(appending: samples) {
            let wasSpeaking = detector.isSpeaking
            let output = detector.process(frame)
            if wasSpeaking, detector.isSpeaking {
                recognition?.accept(samples: frame)
                // Only the caller's speech counts towards "talked for 1.5 s", not the pause after it.
                if detector.trailingSilenceMilliseconds == 0 { perform(machine.callerSpoke()) }
            }
            switch output {
            case nil:
                continue
            case .judge(let id)?:
                judge(id)
            case .event(.speechStarted(let at))?:
                self.output.send(event: .speechStarted(atMilliseconds: at))
                recognition?.accept(samples: detector.utteranceSoFar)
                perform(machine.callerStartedSpeaking(atMilliseconds: at, agentSpeaking: playback?.isActive == true))
            case .event(.speechStopped(let at, let utterance))?:
                recognition?.accept(samples: frame)
                turnEnded(at: at, utterance: utterance)
            }
        }
    }

    private func turnEnded(at: Int, utterance: [Int16]) {
        let actions = machine.callerStoppedSpeaking(agentSpeaking: playback?.isActive == true)
        output.speechEnded(trailingSilenceMilliseconds: detector.trailingSilenceMilliseconds)
        output.send(event: .speechStopped(atMilliseconds: at))
        perform(actions, utterance: utterance)
    }

    /// Semantic mode, a pause of `min_silence_ms`: the recogniser's hypothesis so far goes to the
    /// tenant's model on the recogniser's queue (off the loop), and so does the voice before the
    /// pause (`TurnProsody`, when on); a complete verdict ends the turn.
    private func judge(_ id: Int) {
        guard let recognition else { return }
        let model = turnModel, grammar = self.grammar
        // Over the agent, what is no request (a backchannel, a filler) is a whole utterance: end it
        // at once so it is dropped soon.
        let backchannels = machine.callerIsOverAgent ? settings.backchannels : nil
        // A closed prompt's answer is complete by its grammar; its voice is not asked.
        let prosody = settings.semantic?.prosody == true && grammar == nil ? TurnProsody.standard : nil
        let tail = prosody.map { detector.utteranceTail(milliseconds: $0.tailMilliseconds) } ?? []
        let span = startTurnDetectionSpan()
        // Over the agent the pause is read as a hearing is (with the grammar's second opinion):
        // the final transcript must agree with it to stop the agent (`PlaybackOverlap.paused`).
        let judged: @Sendable (String?, String?) -> Void = { [loop] hypothesis, secondOpinion in
            let verdict = TurnVerdict.judge(hypothesis, model: model, grammar: grammar, backchannels: backchannels, prosody: prosody, tail: tail)
            let complete = verdict == .complete
            loop.execute { [self] in
                endTurnDetectionSpan(span, verdict: verdict)
                if backchannels != nil, detector.isCurrent(judge: id) { machine.pauseHeard(hypothesis, secondOpinion: secondOpinion) }
                session?.conversation?.services.metrics.increment("agent_host_voice_turn_verdicts_total",
                                                                  labels: ["verdict": verdict.rawValue])
                guard machine.isListening, let event = detector.judged(id: id, complete: complete),
                      case .speechStopped(let at, let utterance) = event else { return }
                turnEnded(at: at, utterance: utterance)
            }
        }
        if backchannels == nil {
            recognition.currentHypothesis { judged($0, nil) }
        } else {
            recognition.hearingOverAgent(judged)
        }
    }

    /// Semantic mode, the caller talking over the agent: what are they saying?
    private func askHypothesis() {
        recognition?.hearingOverAgent { [loop] hypothesis, secondOpinion in
            loop.execute { [self] in perform(machine.hypothesisHeard(hypothesis, secondOpinion: secondOpinion)) }
        }
    }

    /// The turn ended: the decoder finishes (its audio already streamed in) and the words go to
    /// the conversation. A grammar that heard nothing falls back to open recognition.
    private func finishUtterance(_ utterance: [Int16]) {
        guard let recognition else { return }
        let usedGrammar = grammar != nil
        startRecognitionSpan(samples: utterance.count, grammar: usedGrammar)
        recognition.finish { [loop] result in
            loop.execute { [self] in
                // Retried with open recognition only between utterances: once the caller speaks again
                // their new words are already in the decoder and must not be mixed with the old ones.
                if usedGrammar, case .success(let transcript) = result, transcript.isEmpty, machine.isListening,
                   !detector.isSpeaking, !detector.hasCandidateSpeech {
                    recognition.useLanguageModel()
                    recognition.accept(samples: utterance)
                    recognition.finish { [loop] retry in loop.execute { self.heard(retry) } }
                    grammar = nil
                    return
                }
                heard(result)
            }
        }
    }

    private func heard(_ result: Result<Transcript, SpeechError>) {
        endRecognitionSpan(result)
        perform(machine.recognised(result, agentSpeaking: playback?.isActive == true))
    }

    // MARK: agent output

    /// An event of the conversation: to the client, agent words as speech too; after each turn the
    /// recogniser is set up for what the agent now expects (a grammar for closed prompts).
    package func conversationEvent(_ event: ConversationEvent) {
        loop.preconditionInLoop()
        output.send(event: event)
        switch event {
        case .agent(_, let text):
            machine.agentReplied(text)
            playback?.speak(text)
        case .turnEnd:
            chooseGrammar()
        case .end:
            perform(machine.sessionEnded(agentSpeaking: playback?.isActive == true))
        default:
            break
        }
    }

    /// Speaks `text` before anything else (the recording announcement), outside the conversation.
    package func announce(_ text: String) { playback?.speak(text) }

    private func chooseGrammar() {
        let next = ClosedPrompt.grammar(for: session?.conversation?.expectation)
        guard next != grammar, let recognition else { return }
        do {
            if let next { try recognition.useGrammar(next) } else { recognition.useLanguageModel() }
            grammar = next
        } catch {
            Logger.shared.log(.warning, "voice", "grammar \(next?.name ?? "lm") unavailable: \(error)")
        }
    }

    /// Barge-in: playback stops, queued audio is dropped, the client is told, and the history
    /// keeps only the words the caller heard of each cut reply.
    private func bargeIn(at milliseconds: Int) {
        guard let cut = playback?.interrupt() else { return }
        output.send(event: .interrupted(atMilliseconds: milliseconds))
        for (reply, heard) in cut {
            session?.conversation?.recordHeard(heard, of: reply.text)
        }
    }

    // MARK: ending

    /// The session ended (the agent said goodbye, escalated, shutdown, hang-up) with the agent
    /// still talking: the call hangs up once the last words were played, or after 15 s at most.
    private func hangUpLineWhenPlayed() {
        guard let playback else { return hangUpLine() }
        playback.isHeld = { false }  // the caller is no longer listened to
        let deadline = LoopTimer(loop: loop)
        playback.onIdle = { [weak self] in
            deadline.close()
            self?.hangUpLine()
        }
        deadline.start(after: 15_000) { [weak self] in
            deadline.close()
            self?.hangUpLine()
        }
    }

    /// Playback released and the channel closed (after the session's end).
    private func hangUpLine() {
        playback?.close()
        playback = nil
        output.close()
    }

    private func releaseRecognizer() {
        recognition?.close()
        recognition = nil
    }

    /// The caller hung up (or the socket went away). A turn the caller had finished speaking is
    /// still recognised and run before the session ends, so nothing they said is lost.
    package func hangUp() {
        loop.preconditionInLoop()
        perform(machine.hungUp(callerSpeaking: detector.isSpeaking))
    }

    private func endSession() {
        session?.end(reason: "caller_hangup")
        // After the last finish: the session's queue runs close after it.
        releaseRecognizer()
    }

    // MARK: the machine's actions

    /// Performs what the machine decided, in order; `utterance` is the turn `.recognise` finishes.
    private func perform(_ actions: [VoiceCallStateMachine.Action], utterance: [Int16] = []) {
        for action in actions {
            switch action {
            case .startCall:
                startCall()
            case .interruptPlayback(let milliseconds):
                bargeIn(at: milliseconds)
            case .askHypothesis:
                askHypothesis()
            case .judgeOverAgent:
                recognition?.judgeOverAgent()
            case .recognise:
                finishUtterance(utterance)
            case .recogniseUtteranceSoFar:
                let soFar = detector.utteranceSoFar
                detector.reset()
                finishUtterance(soFar)
            case .sendTurn(let text, let search):
                // By search: "lm" (open recognition) or the closed prompt's grammar.
                session?.conversation?.services.metrics.increment("agent_host_voice_utterances_total", labels: ["search": search])
                session?.send(text)
            case .countBackchannel(let kind):
                // A backchannel or a noise over the agent: it goes on, and this is no turn.
                session?.conversation?.services.metrics.increment("agent_host_voice_backchannels_total", labels: ["kind": kind])
            case .reportRecognitionFailure(let message):
                output.send(event: .error(code: "recognition_failed", message: message))
            case .stopPlayback:
                playback?.close()
            case .hangUpLineWhenPlayed:
                hangUpLineWhenPlayed()
            case .hangUpLine:
                hangUpLine()
            case .endSession:
                endSession()
            case .releaseRecognizer:
                releaseRecognizer()
            }
        }
    }
}

/// Why a call's setup was refused.
package enum VoiceCallError: Error, CustomStringConvertible {
    case badStart(String)

    package var description: String {
        switch self {
        case .badStart(let problem): problem
        }
    }
}
