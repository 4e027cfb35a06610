import Foundation
import Host
import HostNet
import HostOrchestration
import Synchronization

/// One scenario's session on some channel. Turns run one after another on the calling (main)
/// thread, which blocks until each turn is over; the channel's own loop does the I/O.
protocol ScenarioSession: AnyObject {
    /// Says `turn` and returns what came back, or why nothing complete did. `last`: no turn
    /// follows in this session (a call need not wait for the agent to finish speaking).
    func run(_ turn: ScenarioTurn, last: Bool) -> TurnObservation
    /// Ends the session if the host has not (the caller hangs up).
    func hangUp()
}

/// How long one turn may take on any channel before it counts as not finished.
let scenarioTurnTimeoutSeconds = 30

/// `--local`: the reference plugins in this process (LocalDeployment, like `chat --local`).
/// Latency: from handing the line to the conversation to its `turn_end` (or `end`).
final class LocalScenarioSession: ScenarioSession {
    private let inbox = TurnInbox()
    private let conversation: Conversation
    private let loop: EventLoop
    private var ended = false

    init(deployment: LocalDeployment, caller: String) {
        loop = deployment.loop
        conversation = deployment.conversation(caller: caller) { [inbox] event in inbox.received(event) }
        conversation.start()
    }

    func run(_ turn: ScenarioTurn, last: Bool) -> TurnObservation {
        var seen = TurnObservation()
        guard !ended else { seen.problem = "the session had already ended"; return seen }
        let start = ContinuousClock.now
        conversation.send(turn.say)
        if inbox.turnDone.wait(timeout: .now() + .seconds(scenarioTurnTimeoutSeconds)) == .timedOut {
            seen.problem = "no turn_end within \(scenarioTurnTimeoutSeconds) s"
        }
        // The session's `end` (an escalation's) is emitted on the loop right after `turn_end`:
        // a round trip through the loop lets it arrive before the turn's events are taken.
        let barrier = DispatchSemaphore(value: 0)
        if loop.execute({ barrier.signal() }) { barrier.wait() }
        let (events, doneAt) = inbox.take()
        seen.events = events
        if let doneAt { seen.latencyMilliseconds = Self.milliseconds(doneAt - start) }
        if seen.ended != nil { ended = true }
        return seen
    }

    func hangUp() {
        guard !ended else { return }
        ended = true
        conversation.end(reason: "caller_hangup")
        _ = inbox.turnDone.wait(timeout: .now() + 5)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// `--url` without `--voice`: each turn is one `POST /v1/chat` of the same session
/// (docs/protocol.md §2). Latency: the request's round trip (the reply comes when the turn is over).
final class ChatScenarioSession: ScenarioSession {
    private let client: HTTPClient
    private let endpoint: String
    private let caller: String
    private let tenant: String?
    private let apiKey: String?
    private var sessionID: String?
    private var ended = false

    init(client: HTTPClient, url: String, caller: String, tenant: String?, apiKey: String?) {
        self.client = client
        endpoint = url.hasSuffix("/") ? url + "v1/chat" : url + "/v1/chat"
        self.caller = caller
        self.tenant = tenant
        self.apiKey = apiKey
    }

    func run(_ turn: ScenarioTurn, last: Bool) -> TurnObservation {
        var seen = TurnObservation()
        guard !ended else { seen.problem = "the session had already ended"; return seen }
        var body: [String: Any] = ["caller": caller, "text": turn.say]
        if let sessionID { body["session_id"] = sessionID }
        let start = ContinuousClock.now
        switch post(body) {
        case .failure(let problem):
            seen.problem = problem.description
        case .success(let object):
            seen.latencyMilliseconds = LocalScenarioSession.milliseconds(.now - start)
            sessionID = object["session_id"] as? String ?? sessionID
            seen.events = object["events"] as? [[String: Any]] ?? []
            if seen.ended != nil { ended = true }
        }
        return seen
    }

    /// `{"session_id":…,"end":true}`, so the session is recorded and frees the caller's slot.
    func hangUp() {
        guard !ended, let sessionID else { return }
        ended = true
        _ = post(["session_id": sessionID, "end": true])
    }

    private func post(_ fields: [String: Any]) -> Result<[String: Any], TurnProblem> {
        var body = fields
        if let tenant { body["tenant"] = tenant }
        var request = ClientRequest(method: "POST", url: endpoint)
        request.headers = HTTPHeaders([("Content-Type", "application/json")] + (apiKey.map { [("Authorization", "Bearer \($0)")] } ?? []))
        request.body = Array((try? JSONSerialization.data(withJSONObject: body)) ?? Data())
        request.timeoutMilliseconds = scenarioTurnTimeoutSeconds * 1000
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<ClientResult?>(nil)
        _ = client.send(request) { outcome in
            box.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        switch box.withLock({ $0 })! {
        case .failure(let error):
            return .failure(TurnProblem(description: "cannot reach \(endpoint): \(error) (is `agent-host serve` or `agent-host demo` running?)"))
        case .success(let response):
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            guard response.status == 200 else {
                return .failure(TurnProblem(description: "the host answered \(response.status): \(object["error"] as? String ?? String(decoding: response.body, as: UTF8.self))"))
            }
            return .success(object)
        }
    }
}

/// Why a request of a turn got no usable answer.
struct TurnProblem: Error, CustomStringConvertible {
    let description: String
}

/// A local conversation's events, written on its loop thread and taken by the main thread once
/// the turn is over; `turnDone` is signalled once per turn (an escalation's `end` may follow its
/// `turn_end`).
private final class TurnInbox: @unchecked Sendable {
    // @unchecked: `events` and `doneAt` are guarded by `lock`.
    private let lock = NSLock()
    private var events: [[String: Any]] = []
    private var doneAt: ContinuousClock.Instant?
    let turnDone = DispatchSemaphore(value: 0)

    func received(_ event: ConversationEvent) {
        let object = (try? JSONSerialization.jsonObject(with: Data(event.json.utf8))) as? [String: Any] ?? [:]
        lock.lock()
        events.append(object)
        let first = (event.type == "turn_end" || event.type == "end") && doneAt == nil
        if first { doneAt = .now }
        lock.unlock()
        if first { turnDone.signal() }
    }

    func take() -> ([[String: Any]], ContinuousClock.Instant?) {
        lock.lock()
        defer { events = []; doneAt = nil; lock.unlock() }
        return (events, doneAt)
    }
}
