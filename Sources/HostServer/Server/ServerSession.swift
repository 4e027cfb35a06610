import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostSessions
import HostVoice

/// One served conversation and how its events leave the host: buffered per turn for
/// `POST /v1/chat`, or forwarded as they happen (WebSocket). Loop-confined.
final class ServerSession: @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread.
    let id: String
    let tenantID: String
    let caller: String
    private(set) var conversation: Conversation?
    /// How the caller reaches it, for the console: `http`, `chat`, `voice` or `twilio`.
    var channel = "http"
    /// The console's record of every event (nil: the console is off).
    var observer: ConsoleMonitor?
    /// WebSocket channel: every event goes here as it happens.
    var forward: ((ConversationEvent) -> Void)?
    /// HTTP channel: events of the turn in progress, and who waits for them.
    private var buffer: [ConversationEvent] = []
    private var waiting: (([ConversationEvent]) -> Void)?
    private var idleTimer: LoopTimer?
    private let idleMilliseconds: UInt64
    private let loop: EventLoop
    /// The conversation ended: the server persists it and calls `release` once the record is
    /// durable; only then does the `end` event leave the host.
    var onEnd: ((_ session: ServerSession, _ reason: String, _ release: @escaping @Sendable () -> Void) -> Void)?
    /// `end` is held until the session record is durable.
    private var endPending = false
    /// After every turn of a chat session: the server checkpoints the conversation (nil: not a chat).
    var onTurnEnd: ((ServerSession) -> Void)?
    /// After every turn of a voice call: the server checkpoints the call (HostServer+LostCalls.swift).
    var onCallTurnEnd: ((ServerSession) -> Void)?
    /// The call's recording file name, for the session record (docs/telephony.md).
    var recording: String?
    /// Between the caller's words and `turn_end` (either channel).
    private(set) var inTurn = false
    /// Being handed to another host at the drain deadline (HostServer+HandOver.swift): its lease
    /// is given up, not renewed.
    var handingOver = false
    /// Another host continues it (HostServer+LeaseLost): set once, since its renewal and its
    /// checkpoint write may both report so in one loop turn, before the end has taken effect.
    var movedAway = false

    init(id: String = UUID().uuidString.lowercased(), tenantID: String, caller: String, loop: EventLoop, idleMilliseconds: UInt64) {
        self.id = id
        self.tenantID = tenantID
        self.caller = caller
        self.loop = loop
        self.idleMilliseconds = idleMilliseconds
    }

    var turnInProgress: Bool { waiting != nil }
    var ended: Bool { conversation?.ended != nil }

    /// Creates the conversation (with the caller's earlier sessions) and emits `session`; a voice
    /// call picks up from the caller's `lostCall` (HostServer+LostCalls.swift).
    func begin(tenant: TenantRuntime, services: HostServices, previousSessions: [String], lostCall: ChatCheckpoint? = nil) {
        let conversation = Conversation(tenant: tenant, caller: caller, loop: loop, services: services, sessionID: id,
                                        previousSessions: previousSessions) { [weak self] event in
            self?.received(event)
        }
        if let lostCall { conversation.continueLostCall(lostCall.snapshot, sessionID: lostCall.sessionID) }
        self.conversation = conversation
        conversation.start()
        touch()
    }

    /// Continues a chat conversation from its checkpoint (its host is gone): the same session id,
    /// agent, agents' states and history; no `session` event (docs/protocol.md §6).
    func resume(tenant: TenantRuntime, services: HostServices, from checkpoint: ChatCheckpoint) {
        let conversation = Conversation(tenant: tenant, caller: caller, loop: loop, services: services, sessionID: id,
                                        previousSessions: checkpoint.previousSessions) { [weak self] event in
            self?.received(event)
        }
        conversation.resume(from: checkpoint.snapshot)
        self.conversation = conversation
        touch()
    }

    /// An HTTP turn: sends `text` and calls `completion` with the turn's events (from `user` to
    /// `turn_end`, plus `end` if the session ended in it; the first turn also carries `session`).
    func runTurn(_ text: String, completion: @escaping ([ConversationEvent]) -> Void) {
        waiting = completion
        conversation?.send(text)
        touch()
    }

    /// The caller ends the session (HTTP `"end": true`): `completion` gets the `end` event once
    /// the record is durable.
    func hangUp(completion: @escaping ([ConversationEvent]) -> Void) {
        guard let conversation, !ended else { return completion([]) }
        waiting = completion
        conversation.end(reason: "caller_hangup")
    }

    func send(_ text: String) {
        conversation?.send(text)
        touch()
    }

    func end(reason: String) {
        conversation?.end(reason: reason)
    }

    private func received(_ event: ConversationEvent) {
        observer?.record(event, sessionID: id)
        if event.type == "user" { inTurn = true } else if event.type == "turn_end" { inTurn = false }
        if case .end(let reason) = event {
            // Write-ahead: the record is durable before the caller hears `end`, so a crash after
            // it loses nothing (SessionJournal).
            endPending = true
            idleTimer?.close()
            idleTimer = nil
            guard let onEnd else { return release(event) }
            onEnd(self, reason) { [self] in loop.execute { self.release(event) } }
            return
        }
        if let forward {
            forward(event)
        } else {
            buffer.append(event)
        }
        if event.type == "turn_end" {
            onTurnEnd?(self)
            onCallTurnEnd?(self)
            // An `end` may follow in the same loop pass (escalation, agent ended): deliver with it.
            loop.execute { [weak self] in self?.deliver() }
        }
    }

    /// Sends the held `end`; the channel (a voice call holds this session) is released, so no
    /// cycle outlives the session.
    private func release(_ end: ConversationEvent) {
        if let forward {
            forward(end)
        } else {
            buffer.append(end)
        }
        forward = nil
        endPending = false
        deliver()
    }

    private func deliver() {
        guard !endPending, let waiting else { return }
        self.waiting = nil
        let events = buffer
        buffer.removeAll()
        waiting(events)
    }

    /// A session ends after `idleMilliseconds` without a turn (0: never; voice calls).
    private func touch() {
        guard idleMilliseconds > 0, !endPending, conversation?.ended == nil else { return }
        if idleTimer == nil { idleTimer = LoopTimer(loop: loop) }
        idleTimer?.start(after: idleMilliseconds) { [weak self] in self?.end(reason: "timeout") }
    }
}

extension ServerSession: CallSession {}
