import Foundation
import HostNet

/// One served conversation and how its events leave the host: buffered per turn for
/// `POST /v1/chat`, or forwarded as they happen (WebSocket). Loop-confined.
final class ServerSession: @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread.
    let id: String
    let tenantID: String
    let caller: String
    private(set) var conversation: Conversation?
    /// WebSocket channel: every event goes here as it happens.
    var forward: ((ConversationEvent) -> Void)?
    /// HTTP channel: events of the turn in progress, and who waits for them.
    private var buffer: [ConversationEvent] = []
    private var waiting: (([ConversationEvent]) -> Void)?
    private var idleTimer: LoopTimer?
    private let idleMilliseconds: UInt64
    private let loop: EventLoop
    var onEnd: ((ServerSession, String) -> Void)?

    init(id: String = UUID().uuidString.lowercased(), tenantID: String, caller: String, loop: EventLoop, idleMilliseconds: UInt64) {
        self.id = id
        self.tenantID = tenantID
        self.caller = caller
        self.loop = loop
        self.idleMilliseconds = idleMilliseconds
    }

    var turnInProgress: Bool { waiting != nil }
    var ended: Bool { conversation?.ended != nil }

    /// Creates the conversation (with the caller's earlier sessions) and emits `session`.
    func begin(tenant: TenantRuntime, services: HostServices, previousSessions: [String]) {
        let conversation = Conversation(tenant: tenant, caller: caller, loop: loop, services: services, sessionID: id,
                                        previousSessions: previousSessions) { [weak self] event in
            self?.received(event)
        }
        self.conversation = conversation
        conversation.start()
        touch()
    }

    /// An HTTP turn: sends `text` and calls `completion` with the turn's events (from `user` to
    /// `turn_end`, plus `end` if the session ended in it; the first turn also carries `session`).
    func runTurn(_ text: String, completion: @escaping ([ConversationEvent]) -> Void) {
        waiting = completion
        conversation?.send(text)
        touch()
    }

    func send(_ text: String) {
        conversation?.send(text)
        touch()
    }

    func end(reason: String) {
        conversation?.end(reason: reason)
    }

    private func received(_ event: ConversationEvent) {
        if let forward {
            forward(event)
        } else {
            buffer.append(event)
        }
        switch event.type {
        case "turn_end":
            // An `end` may follow in the same loop pass (escalation, agent ended): deliver after it.
            loop.execute { [weak self] in self?.deliver() }
        case "end":
            // The channel (a voice call holds this session) is released: no cycle outlives the session.
            forward = nil
            deliver()
            idleTimer?.close()
            idleTimer = nil
            if case .end(let reason) = event { onEnd?(self, reason) }
        default:
            break
        }
    }

    private func deliver() {
        guard let waiting else { return }
        self.waiting = nil
        let events = buffer
        buffer.removeAll()
        waiting(events)
    }

    /// HTTP sessions end after `idleMilliseconds` without a turn (WebSocket ones when the socket closes).
    private func touch() {
        guard forward == nil, idleMilliseconds > 0 else { return }
        if idleTimer == nil { idleTimer = LoopTimer(loop: loop) }
        idleTimer?.start(after: idleMilliseconds) { [weak self] in self?.end(reason: "timeout") }
    }
}
