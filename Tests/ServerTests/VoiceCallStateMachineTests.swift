import HostSpeech
@testable import HostVoice
import XCTest

/// A voice call's lifecycle as a value: every transition, without audio, a recogniser, a socket,
/// a timer or a loop. (VoiceCallTests, VoiceBargeInTests and SemanticTurnTests drive the same
/// machine through real calls.)
final class VoiceCallStateMachineTests: XCTestCase {
    typealias Machine = VoiceCallStateMachine

    private func heard(_ text: String, search: String = "lm") -> Result<Transcript, SpeechError> {
        .success(Transcript(text: text, search: search, audioSeconds: 1, processingSeconds: 0, finalizeSeconds: 0))
    }

    /// Server VAD, the session open, a turn recognised and sent.
    private func liveServerVAD() -> Machine {
        var machine = Machine(semanticBackchannels: nil)
        XCTAssertEqual(machine.sessionAttached(), [.startCall])
        return machine
    }

    private func liveSemantic() -> Machine {
        var machine = Machine(semanticBackchannels: Backchannels())
        XCTAssertEqual(machine.sessionAttached(), [.startCall])
        return machine
    }

    func testATurnIsRecognisedAndSentWhileTheCallIsLive() {
        var machine = Machine(semanticBackchannels: nil)
        XCTAssertEqual(machine.state, .opening)
        XCTAssertTrue(machine.isListening, "turns are detected while the session opens")
        XCTAssertEqual(machine.callerStoppedSpeaking(agentSpeaking: false), [], "nothing is recognised before the session")
        XCTAssertEqual(machine.recognitionsInFlight, 0)

        XCTAssertEqual(machine.sessionAttached(), [.startCall])
        XCTAssertEqual(machine.state, .live)
        XCTAssertEqual(machine.sessionAttached(), [], "a call is given its session once")
        XCTAssertEqual(machine.callerStartedSpeaking(atMilliseconds: 100, agentSpeaking: false), [], "no agent: nothing to stop")
        XCTAssertEqual(machine.callerStoppedSpeaking(agentSpeaking: false), [.recognise])
        XCTAssertEqual(machine.recognitionsInFlight, 1)
        XCTAssertEqual(machine.recognised(heard("i want a refund"), agentSpeaking: false),
                       [.sendTurn(text: "i want a refund", search: "lm")])
        XCTAssertEqual(machine.recognitionsInFlight, 0)
        XCTAssertEqual(machine.state, .live, "the call goes on")
    }

    func testNoiseAndAFailedRecognitionAreNoTurn() {
        var machine = liveServerVAD()
        _ = machine.callerStoppedSpeaking(agentSpeaking: false)
        XCTAssertEqual(machine.recognised(heard(""), agentSpeaking: false), [], "noise the VAD took for speech")
        _ = machine.callerStoppedSpeaking(agentSpeaking: false)
        XCTAssertEqual(machine.recognised(.failure(.engineUnavailable("gone")), agentSpeaking: false),
                       [.reportRecognitionFailure(message: "speech recognition failed: \(SpeechError.engineUnavailable("gone"))")])
    }

    func testServerVADSpeechDuringPlaybackInterruptsAtOnce() {
        var machine = liveServerVAD()
        XCTAssertTrue(machine.holdsPlaybackOnCandidateSpeech, "server VAD holds the agent at the first spoken frame")
        XCTAssertEqual(machine.callerStartedSpeaking(atMilliseconds: 640, agentSpeaking: true),
                       [.interruptPlayback(atMilliseconds: 640)])
        XCTAssertEqual(machine.callerSpoke(), [], "server VAD has nothing more to decide per frame")
        XCTAssertEqual(machine.callerStoppedSpeaking(agentSpeaking: false), [.recognise])
        XCTAssertEqual(machine.recognised(heard("uh huh"), agentSpeaking: false), [.sendTurn(text: "uh huh", search: "lm")],
                       "in server-VAD mode every utterance is a turn")
    }

    func testSemanticModeStopsTheAgentAfterTwoRequestHypothesesInARow() {
        var machine = liveSemantic()
        XCTAssertFalse(machine.holdsPlaybackOnCandidateSpeech, "semantic mode talks over a possible backchannel")
        XCTAssertEqual(machine.callerStartedSpeaking(atMilliseconds: 900, agentSpeaking: true), [.judgeOverAgent],
                       "not at once: the recogniser is asked for its second opinion")
        XCTAssertTrue(machine.callerIsOverAgent)
        var asked = 0
        for _ in 0..<10 where machine.callerSpoke() == [.askHypothesis] { asked += 1 }
        XCTAssertEqual(asked, 1, "the hypothesis is asked every 10 frames")
        XCTAssertEqual(machine.hypothesisHeard("wait"), [], "one request hypothesis is not enough")
        for _ in 0..<10 { _ = machine.callerSpoke() }
        XCTAssertEqual(machine.hypothesisHeard("wait stop"), [.interruptPlayback(atMilliseconds: 900)],
                       "the barge-in is dated at the utterance's onset")
        XCTAssertEqual(machine.callerStoppedSpeaking(agentSpeaking: false), [.recognise])
        XCTAssertEqual(machine.recognised(heard("wait stop"), agentSpeaking: false), [.sendTurn(text: "wait stop", search: "lm")])
        XCTAssertFalse(machine.callerIsOverAgent)
    }

    func testSemanticModeABackchannelOrACoughOverTheAgentIsNoTurnAndARequestStopsIt() {
        var machine = liveSemantic()
        _ = machine.callerStartedSpeaking(atMilliseconds: 300, agentSpeaking: true)
        _ = machine.callerStoppedSpeaking(agentSpeaking: true)
        XCTAssertEqual(machine.recognised(heard("uh huh"), agentSpeaking: true), [.countBackchannel(kind: "backchannel")])
        _ = machine.callerStartedSpeaking(atMilliseconds: 1_300, agentSpeaking: true)
        _ = machine.callerStoppedSpeaking(agentSpeaking: true)
        XCTAssertEqual(machine.recognised(heard(""), agentSpeaking: true), [.countBackchannel(kind: "noise")])
        _ = machine.callerStartedSpeaking(atMilliseconds: 2_000, agentSpeaking: true)
        _ = machine.callerStoppedSpeaking(agentSpeaking: true)
        XCTAssertEqual(machine.recognised(heard("cancel my order"), agentSpeaking: true),
                       [.interruptPlayback(atMilliseconds: 2_000), .sendTurn(text: "cancel my order", search: "lm")])
        // The agent stopped meanwhile: the request is still a turn, with nothing left to stop.
        _ = machine.callerStartedSpeaking(atMilliseconds: 3_000, agentSpeaking: true)
        _ = machine.callerStoppedSpeaking(agentSpeaking: true)
        XCTAssertEqual(machine.recognised(heard("cancel my order"), agentSpeaking: false),
                       [.sendTurn(text: "cancel my order", search: "lm")])
    }

    /// The recogniser's second opinion (the overlap grammar) weighs in mid-utterance and at the end:
    /// "uh huh okay" misheard as "can i pay" is no request; "wait" misheard as "for a" is one.
    func testSemanticModeWeighsTheSecondOpinion() {
        var machine = liveSemantic()
        _ = machine.callerStartedSpeaking(atMilliseconds: 500, agentSpeaking: true)
        for _ in 0..<10 { _ = machine.callerSpoke() }
        XCTAssertEqual(machine.hypothesisHeard("can i pay", secondOpinion: "uh huh okay"), [])
        for _ in 0..<10 { _ = machine.callerSpoke() }
        XCTAssertEqual(machine.hypothesisHeard("can i pay", secondOpinion: "uh huh okay"), [], "two misheard hypotheses stop nothing")
        _ = machine.callerStoppedSpeaking(agentSpeaking: true)
        var backchannel = Transcript(text: "can i pay", search: "lm", audioSeconds: 0.8, processingSeconds: 0, finalizeSeconds: 0)
        backchannel.secondOpinion = "uh huh okay"
        XCTAssertEqual(machine.recognised(.success(backchannel), agentSpeaking: true), [.countBackchannel(kind: "backchannel")])

        _ = machine.callerStartedSpeaking(atMilliseconds: 2_000, agentSpeaking: true)
        _ = machine.callerStoppedSpeaking(agentSpeaking: true)
        var wait = Transcript(text: "for a", search: "lm", audioSeconds: 0.4, processingSeconds: 0, finalizeSeconds: 0)
        wait.secondOpinion = "wait"
        XCTAssertEqual(machine.recognised(.success(wait), agentSpeaking: true),
                       [.interruptPlayback(atMilliseconds: 2_000), .sendTurn(text: "for a", search: "lm")])
    }

    /// The end of an utterance over the agent is read at its pause and when finished: it stops the
    /// agent only when both readings hold a request. The readings are `agent-host-bench voice
    /// turns`' of espeak-ng's "okay yeah" (pause "can you" / "what to you", finished "can i use" /
    /// "what to you") and "wait" (pause "where you" / "wait", finished "when" / "wait"). Speech
    /// after a pause makes its reading stale: then the final transcript alone decides.
    func testSemanticModeTheFinalTranscriptMustAgreeWithThePause() {
        var machine = liveSemantic()
        XCTAssertEqual(Self.overAgent(&machine, at: 500, framesBefore: 12, pause: ("can you", "what to you"),
                                      final: ("can i use", "what to you"), seconds: 0.8),
                       [.countBackchannel(kind: "backchannel")], "a request only when finished: the pause read none")
        XCTAssertEqual(Self.overAgent(&machine, at: 2_000, framesBefore: 8, pause: ("where you", "wait"), final: ("when", "wait"), seconds: 0.4),
                       [.interruptPlayback(atMilliseconds: 2_000), .sendTurn(text: "when", search: "lm")], "both readings hold a request")
        // "okay … wait": the caller went on after the pause.
        XCTAssertEqual(Self.overAgent(&machine, at: 4_000, framesBefore: 5, pause: ("okay", "okay"), framesAfter: 5,
                                      final: ("okay when", "okay wait"), seconds: 0.9),
                       [.interruptPlayback(atMilliseconds: 4_000), .sendTurn(text: "okay when", search: "lm")], "the pause's reading was stale")
    }

    /// One utterance over the agent: speech from `at`, `framesBefore` frames, a pause read as
    /// `pause` (hypothesis, second opinion), `framesAfter` more frames, then the final transcript
    /// `final` (text, second opinion). Returns what the machine does with the final transcript.
    static func overAgent(_ machine: inout VoiceCallStateMachine, at milliseconds: Int, framesBefore: Int,
                          pause: (String, String), framesAfter: Int = 0, final: (String, String), seconds: Double) -> [VoiceCallStateMachine.Action] {
        _ = machine.callerStartedSpeaking(atMilliseconds: milliseconds, agentSpeaking: true)
        for _ in 0..<framesBefore { _ = machine.callerSpoke() }
        machine.pauseHeard(pause.0, secondOpinion: pause.1)
        for _ in 0..<framesAfter { _ = machine.callerSpoke() }
        _ = machine.callerStoppedSpeaking(agentSpeaking: true)
        var transcript = Transcript(text: final.0, search: "lm", audioSeconds: seconds, processingSeconds: 0, finalizeSeconds: 0)
        transcript.secondOpinion = final.1
        return machine.recognised(.success(transcript), agentSpeaking: true)
    }

    func testSemanticModeAYesAfterTheAgentsQuestionFinishedIsAnAnswer() {
        var machine = liveSemantic()
        machine.agentReplied("Shall I refund it? ")
        // "yes" started over the question's last words, ended after it had finished playing.
        _ = machine.callerStartedSpeaking(atMilliseconds: 500, agentSpeaking: true)
        XCTAssertEqual(machine.callerStoppedSpeaking(agentSpeaking: false), [.recognise])
        XCTAssertEqual(machine.recognised(heard("yes"), agentSpeaking: false), [.sendTurn(text: "yes", search: "lm")])
        // The same "yes" over a statement is a backchannel.
        machine.agentReplied("Your refund is on its way.")
        _ = machine.callerStartedSpeaking(atMilliseconds: 1_500, agentSpeaking: true)
        _ = machine.callerStoppedSpeaking(agentSpeaking: false)
        XCTAssertEqual(machine.recognised(heard("yes"), agentSpeaking: false), [.countBackchannel(kind: "backchannel")])
    }

    func testAHangUpWithNothingInFlightEndsTheSessionAtOnceAndASecondHangUpDoesNothing() {
        var machine = liveServerVAD()
        XCTAssertEqual(machine.hungUp(callerSpeaking: false), [.stopPlayback, .endSession])
        XCTAssertEqual(machine.state, .hungUp)
        XCTAssertFalse(machine.isListening, "no caller audio after the hang-up")
        XCTAssertEqual(machine.hungUp(callerSpeaking: false), [], "a second close does nothing")
        XCTAssertEqual(machine.callerStoppedSpeaking(agentSpeaking: false), [], "nothing more is recognised")
        // The session's end arrives (it was ended above): the line closes.
        XCTAssertEqual(machine.sessionEnded(agentSpeaking: false), [.releaseRecognizer, .hangUpLine])
        XCTAssertEqual(machine.state, .ended)
        XCTAssertEqual(machine.sessionEnded(agentSpeaking: false), [], "the session ends once")
        XCTAssertEqual(machine.hungUp(callerSpeaking: true), [], "a hang-up after the end does nothing")
    }

    /// The caller's last words are not lost: the session ends only after the recognitions in
    /// flight are delivered as turns, the one cut by the hang-up included.
    func testAHangUpWhileRecognitionsAreInFlightEndsTheSessionAfterTheLast() {
        var machine = liveServerVAD()
        XCTAssertEqual(machine.callerStoppedSpeaking(agentSpeaking: false), [.recognise])
        _ = machine.callerStartedSpeaking(atMilliseconds: 4_000, agentSpeaking: false)
        XCTAssertEqual(machine.hungUp(callerSpeaking: true), [.stopPlayback, .recogniseUtteranceSoFar],
                       "mid-utterance: the words so far are finished like a turn; the session waits")
        XCTAssertEqual(machine.recognitionsInFlight, 2)
        XCTAssertEqual(machine.recognised(heard("my order number is"), agentSpeaking: false),
                       [.sendTurn(text: "my order number is", search: "lm")], "still a turn after the hang-up")
        XCTAssertEqual(machine.recognised(heard("one two three"), agentSpeaking: false),
                       [.sendTurn(text: "one two three", search: "lm"), .endSession], "the last one ends the session")
        XCTAssertEqual(machine.recognitionsInFlight, 0)
    }

    func testAHangUpWhileTheSessionOpensEndsItWhenItOpens() {
        var machine = Machine(semanticBackchannels: nil)
        XCTAssertEqual(machine.hungUp(callerSpeaking: true), [], "no session, playback or recogniser yet")
        XCTAssertFalse(machine.isListening)
        XCTAssertEqual(machine.sessionAttached(), [.endSession], "the session ends (and is persisted) at once")
        XCTAssertEqual(machine.state, .hungUp)
    }

    func testTheSessionsEndWaitsForTheAgentsLastWords() {
        var machine = liveServerVAD()
        XCTAssertEqual(machine.sessionEnded(agentSpeaking: true), [.releaseRecognizer, .hangUpLineWhenPlayed])
        XCTAssertFalse(machine.isListening, "the caller is no longer listened to")
        XCTAssertEqual(machine.hungUp(callerSpeaking: false), [], "a hang-up after the end does nothing")
    }

    /// The session ended on its own (the agent's goodbye) while a turn was being recognised: the
    /// recogniser is released after it, and its words are dropped (the conversation is over).
    func testARecognitionArrivingAfterTheSessionsEndIsIgnoredAndTheLastReleasesTheRecogniser() {
        var machine = liveServerVAD()
        _ = machine.callerStoppedSpeaking(agentSpeaking: false)
        _ = machine.callerStoppedSpeaking(agentSpeaking: false)
        XCTAssertEqual(machine.sessionEnded(agentSpeaking: false), [.hangUpLine], "the recogniser is still finishing")
        XCTAssertEqual(machine.recognised(heard("one more thing"), agentSpeaking: false), [], "ignored after the end")
        XCTAssertEqual(machine.recognised(.failure(.engineUnavailable("gone")), agentSpeaking: false), [.releaseRecognizer],
                       "no error after `end`; the last answer releases the recogniser")
    }

    func testASemanticHypothesisArrivingAfterTheCallStoppedListeningCutsNothing() {
        var machine = liveSemantic()
        _ = machine.callerStartedSpeaking(atMilliseconds: 200, agentSpeaking: true)
        for _ in 0..<10 { _ = machine.callerSpoke() }
        XCTAssertEqual(machine.hypothesisHeard("stop"), [])
        for _ in 0..<10 { _ = machine.callerSpoke() }
        XCTAssertEqual(machine.sessionEnded(agentSpeaking: true), [.releaseRecognizer, .hangUpLineWhenPlayed])
        XCTAssertEqual(machine.hypothesisHeard("stop now"), [], "the agent's last words are not cut")
    }
}
