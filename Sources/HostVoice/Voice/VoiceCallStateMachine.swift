import Foundation
import HostSpeech

/// A voice call's lifecycle as a value: `VoiceCall` feeds it events (the session attached, the
/// caller starting and stopping speech, a frame of speech, a recogniser hypothesis or final
/// result, the agent's reply, the session's end, the caller's hang-up) and performs the actions it
/// returns, in order. No audio, recogniser, socket, timer or loop here, so every transition is
/// tested alone (ServerTests/VoiceCallStateMachineTests).
///
/// What the machine does not keep, because another value already does: whether the caller is
/// speaking (the turn detector, itself a per-frame value) and whether the agent is speaking
/// (`AgentPlayback`'s queue of replies). Events that depend on them take them as arguments, so
/// there is no second copy to drift. Semantic mode's "is this speech over the agent a barge-in?"
/// is `PlaybackOverlap`, held here.
struct VoiceCallStateMachine {
    enum State: Equatable {
        /// The session is still opening: the caller's turns are detected, nothing is recognised.
        case opening
        /// The conversation runs: turns are recognised and sent, the agent's replies played.
        case live
        /// The caller hung up: the turns they had finished are still recognised and sent (nothing
        /// they said is lost); the session ends after the last.
        case hungUp
        /// The session ended (goodbye, escalation, shutdown, or after a hang-up): the agent's
        /// last words play out, then the line closes. Late answers of the recogniser are dropped.
        case ended
    }

    /// What the call does, in the order given.
    enum Action: Equatable {
        /// Set the call up for its session: the agent's playback and a recognition session.
        case startCall
        /// Barge-in: the agent stops now; the client is told (`interrupted` at this offset) and
        /// the history keeps only what the caller heard.
        case interruptPlayback(atMilliseconds: Int)
        /// Ask the recogniser what the caller is saying so far; its answer is `hypothesisHeard`.
        case askHypothesis
        /// The caller's utterance is said over the agent: the recogniser also gives its second
        /// opinion (`RecognitionSession.judgeOverAgent`).
        case judgeOverAgent
        /// The caller's turn ended: the recogniser finishes it (its audio already streamed in);
        /// the answer is `recognised`.
        case recognise
        /// The caller hung up mid-utterance: the words so far are finished like a turn.
        case recogniseUtteranceSoFar
        /// The caller's words are a turn of the conversation (`search`: how they were recognised).
        case sendTurn(text: String, search: String)
        /// Speech over the agent that is no turn: a backchannel, or noise (no words at all).
        case countBackchannel(kind: String)
        case reportRecognitionFailure(message: String)
        /// The caller is gone: the agent's playback stops.
        case stopPlayback
        /// The line closes once the agent's last words have played (15 s at most), the caller no
        /// longer listened to.
        case hangUpLineWhenPlayed
        /// The line closes now.
        case hangUpLine
        /// The session ends (`caller_hangup`), then the recogniser is released.
        case endSession
        /// The recogniser is released (the session has already ended).
        case releaseRecognizer
    }

    private(set) var state = State.opening
    /// Turns the recogniser is still finishing.
    private(set) var recognitionsInFlight = 0
    /// Semantic mode: caller speech during playback; nil in server-VAD mode (barge-in at once).
    private(set) var overlap: PlaybackOverlap?
    /// Where the utterance that started over the agent began (semantic mode's later barge-in).
    private var overlapOnset = 0
    /// Whether the agent's last reply asked a question.
    private var lastReplyAsked = false
    /// Whether the agent was still talking when the caller's last utterance ended.
    private var agentTalkingAtStop = false

    /// `backchannels`: semantic mode (speech over the agent is judged); nil: server VAD.
    init(semanticBackchannels backchannels: Backchannels?) {
        overlap = backchannels.map(PlaybackOverlap.init)
    }

    /// Caller audio is taken (and turn verdicts heeded) only until the call ends or is hung up.
    var isListening: Bool { state == .opening || state == .live }
    /// Server VAD: the agent's audio is held at the caller's first possibly spoken frame. Semantic
    /// mode keeps talking over what may be a backchannel.
    var holdsPlaybackOnCandidateSpeech: Bool { overlap == nil }
    /// Semantic mode: an utterance that began over the agent is in progress (or being recognised).
    var callerIsOverAgent: Bool { overlap?.active == true }

    // MARK: the session

    /// The session is open. A call the caller left (or that ended) while it opened ends it at once.
    mutating func sessionAttached() -> [Action] {
        switch state {
        case .opening:
            state = .live
            return [.startCall]
        case .live:
            return []  // a call is given its session once
        case .hungUp, .ended:
            return [.endSession]
        }
    }

    /// The agent said `text` (it is played): a question makes a short "yes" after it an answer.
    mutating func agentReplied(_ text: String) {
        lastReplyAsked = text.trimmingCharacters(in: .whitespaces).hasSuffix("?")
    }

    // MARK: the caller's speech

    /// The caller started speaking. Over the agent: server VAD stops it at once; semantic mode
    /// starts watching the utterance (`callerSpoke`, `recognised`).
    mutating func callerStartedSpeaking(atMilliseconds at: Int, agentSpeaking: Bool) -> [Action] {
        guard agentSpeaking else { return [] }
        guard overlap != nil else { return [.interruptPlayback(atMilliseconds: at)] }
        overlap?.started()
        overlapOnset = at
        return [.judgeOverAgent]
    }

    /// One more 20 ms frame of the caller's speech (not the pause after it).
    mutating func callerSpoke() -> [Action] {
        overlapAction(overlap?.frame())
    }

    /// The hypothesis `askHypothesis` asked for. Heeded only while the call listens: once the
    /// caller is gone or the session ended, nothing they said before cuts the agent's last words.
    mutating func hypothesisHeard(_ hypothesis: String?, secondOpinion: String? = nil) -> [Action] {
        guard isListening else { return [] }
        return overlapAction(overlap?.heard(hypothesis: hypothesis, secondOpinion: secondOpinion))
    }

    /// The readings a pause of the caller's utterance over the agent was judged on: the final
    /// transcript must agree with them to stop the agent (`PlaybackOverlap.paused`).
    mutating func pauseHeard(_ hypothesis: String?, secondOpinion: String?) {
        overlap?.paused(hypothesis: hypothesis, secondOpinion: secondOpinion)
    }

    /// The caller's turn ended: it is recognised once the session is open.
    mutating func callerStoppedSpeaking(agentSpeaking: Bool) -> [Action] {
        agentTalkingAtStop = agentSpeaking
        guard state == .live else { return [] }
        recognitionsInFlight += 1
        return [.recognise]
    }

    /// A turn's final transcript (or the recogniser's failure). Until the session ends it is a
    /// turn, a backchannel or noise; after the session's end it is dropped (the conversation would
    /// refuse it). The last one after a hang-up ends the session; the last one after the session's
    /// end releases the recogniser.
    mutating func recognised(_ result: Result<Transcript, SpeechError>, agentSpeaking: Bool) -> [Action] {
        recognitionsInFlight -= 1
        var actions: [Action] = []
        if state != .ended {
            switch result {
            case .success(let transcript):
                let (isTurn, bargeIn) = judgeOverlap(transcript.text, secondOpinion: transcript.secondOpinion)
                if bargeIn, agentSpeaking { actions.append(.interruptPlayback(atMilliseconds: overlapOnset)) }
                if !isTurn {
                    actions.append(.countBackchannel(kind: transcript.isEmpty ? "noise" : "backchannel"))
                } else if !transcript.isEmpty {
                    actions.append(.sendTurn(text: transcript.text, search: transcript.search))
                }  // else noise the VAD took for speech: no turn
            case .failure(let error):
                actions.append(.reportRecognitionFailure(message: "speech recognition failed: \(error)"))
            }
        }
        guard recognitionsInFlight == 0 else { return actions }
        switch state {
        case .hungUp: actions.append(.endSession)
        case .ended: actions.append(.releaseRecognizer)
        case .opening, .live: break
        }
        return actions
    }

    // MARK: ending

    /// The session ended: the recogniser goes once no turn is left to finish, and the line closes
    /// once the agent's last words have played. The session ends once.
    mutating func sessionEnded(agentSpeaking: Bool) -> [Action] {
        guard state != .ended else { return [] }
        state = .ended
        let release: [Action] = recognitionsInFlight == 0 ? [.releaseRecognizer] : []
        return release + [agentSpeaking ? .hangUpLineWhenPlayed : .hangUpLine]
    }

    /// The caller hung up (or the socket went away): playback stops; a turn in progress is
    /// finished like one that ended; the session ends after the last recognition (at once if none).
    /// A call hung up while its session opens ends it when it opens (`sessionAttached`).
    mutating func hungUp(callerSpeaking: Bool) -> [Action] {
        switch state {
        case .opening:
            state = .hungUp
            return []
        case .live:
            state = .hungUp
            var actions: [Action] = [.stopPlayback]
            if callerSpeaking {
                recognitionsInFlight += 1
                actions.append(.recogniseUtteranceSoFar)
            }
            if recognitionsInFlight == 0 { actions.append(.endSession) }
            return actions
        case .hungUp, .ended:
            return []
        }
    }

    // MARK: semantic mode

    private mutating func overlapAction(_ action: PlaybackOverlap.Action?) -> [Action] {
        switch action {
        case .bargeIn?: [.interruptPlayback(atMilliseconds: overlapOnset)]
        case .askHypothesis?: [.askHypothesis]
        case nil: []
        }
    }

    /// Whether an utterance is a turn: always in server-VAD mode; in semantic mode one that
    /// overlapped the agent only when it is a request (which then stops the agent, if still talking).
    private mutating func judgeOverlap(_ transcript: String, secondOpinion: String?) -> (isTurn: Bool, bargeIn: Bool) {
        guard var judge = overlap else { return (true, false) }
        // Said after the agent's question had finished playing: an answer ("yes"), not a backchannel.
        let answers = lastReplyAsked && !agentTalkingAtStop
        defer { overlap = judge }
        return judge.finished(transcript: transcript, secondOpinion: secondOpinion, answersFinishedQuestion: answers)
    }
}
