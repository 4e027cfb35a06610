import Foundation
import HostNet
import HostSupport
import Synchronization

/// `agent-host chat` against a running host: each line typed (or piped) is one POST /v1/chat turn
/// of the same session; events print as in `chat --local`. When the input ends, or on Ctrl-C, the
/// session is ended on the host (`{"session_id":…,"end":true}`, docs/protocol.md §2), so it is
/// recorded at once and does not hold one of the caller's session slots until it times out.
public struct RemoteChat: Sendable {
    public var url = "http://127.0.0.1:8080"
    public var caller = "+15550001234"
    public var tenant: String?
    public var apiKey: String?
    public var json = false

    public init() {}

    public func run() throws(LocalChat.Failure) {
        let loop = EventLoop(name: "chat-client")
        loop.start()
        defer { loop.stop() }
        let client = HTTPClient(loop: loop)
        defer { client.close() }
        let printer = EventPrinter(json: json)
        let session = RemoteChatSession()
        watchInterrupt(loop: loop, session: session, client: client, printer: printer)
        let interactive = isatty(STDIN_FILENO) == 1
        while true {
            if interactive && !json { print("you> ", terminator: ""); StandardOutput.flush() }
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard session.beginTurn() else { break }  // Ctrl-C while the line was read
            var body: [String: Any] = ["caller": caller, "text": text]
            if let id = session.id { body["session_id"] = id }
            if let tenant { body["tenant"] = tenant }
            let object = try post(body, client)
            let id = object["session_id"] as? String
            let interrupted = session.finishTurn(id: id)
            for event in object["events"] as? [[String: Any]] ?? [] {
                printer.print(raw: event)
                if event["type"] as? String == "end" { session.endedByHost(); return }
            }
            if interrupted { break }
        }
        try session.end { (id: String) throws(LocalChat.Failure) in try end(id, client, printer) }
    }

    /// Ctrl-C hangs up like the end of input. Between turns the main thread is blocked reading a
    /// line, so the session is ended from here and the process exits; mid-turn, the main thread
    /// ends it once the turn's reply is in.
    private func watchInterrupt(loop: EventLoop, session: RemoteChatSession, client: HTTPClient, printer: EventPrinter) {
        loop.execute { [self] in
            let watcher = LoopSignal(loop: loop)
            // The callback holds the watcher: a LoopSignal closes its handle when released.
            watcher.start(signal: SIGINT) { _ in
                watcher.close()
                guard session.interrupt() else { return }
                // Off the loop: ending waits for a reply the loop delivers. The process then leaves
                // with _exit: exit() would flush stdin's stream, whose lock readLine holds.
                DispatchQueue.global().async {
                    do throws(LocalChat.Failure) {
                        if !json { Swift.print("") }  // past the "you> " prompt
                        try session.end { (id: String) throws(LocalChat.Failure) in try end(id, client, printer) }
                        StandardOutput.flush()
                        _exit(0)
                    } catch {
                        FileHandle.standardError.write(Data("agent-host: \(error.description)\n".utf8))
                        StandardOutput.flush()
                        _exit(error.exitCode)
                    }
                }
            }
        }
    }

    /// `{"session_id":id,"end":true}`: the host ends the session (`caller_hangup`) and answers with
    /// its last events, which are printed like a turn's.
    private func end(_ id: String, _ client: HTTPClient, _ printer: EventPrinter) throws(LocalChat.Failure) {
        var body: [String: Any] = ["session_id": id, "end": true]
        if let tenant { body["tenant"] = tenant }
        let object: [String: Any]
        do {
            object = try post(body, client, timeoutMilliseconds: 5_000)
        } catch {
            throw LocalChat.Failure(description: "could not end session \(id) on the host: \(error.description)", exitCode: 1)
        }
        for event in object["events"] as? [[String: Any]] ?? [] { printer.print(raw: event) }
    }

    private func post(_ body: [String: Any], _ client: HTTPClient, timeoutMilliseconds: Int = 10_000) throws(LocalChat.Failure) -> [String: Any] {
        var request = ClientRequest(method: "POST", url: url.hasSuffix("/") ? url + "v1/chat" : url + "/v1/chat")
        request.headers = HTTPHeaders([("Content-Type", "application/json")] + (apiKey.map { [("Authorization", "Bearer \($0)")] } ?? []))
        request.body = Array((try? JSONSerialization.data(withJSONObject: body)) ?? Data())
        request.timeoutMilliseconds = timeoutMilliseconds
        switch Self.send(client, request) {
        case .failure(let error):
            throw LocalChat.Failure(description: "cannot reach \(url): \(error) (is `agent-host serve` or `agent-host demo` running?)", exitCode: 1)
        case .success(let response):
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            guard response.status == 200 else {
                throw LocalChat.Failure(description: "host answered \(response.status): \(object["error"] as? String ?? String(decoding: response.body, as: UTF8.self))", exitCode: 1)
            }
            return object
        }
    }

    private static func send(_ client: HTTPClient, _ request: ClientRequest) -> ClientResult {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        client.send(request) { outcome in
            result.value = outcome
            done.signal()
        }
        done.wait()
        return result.value!
    }
}

/// The session a remote chat opened, shared by the main thread and the Ctrl-C handler: its id,
/// whether a turn is in flight, and that it is ended on the host at most once.
final class RemoteChatSession: Sendable {
    private struct State {
        var id: String?
        var turnInFlight = false
        var interrupted = false
        var ending = false
    }

    private let state = Mutex(State())
    /// Signalled when the one `end` has finished: whoever else wanted to end waits for it.
    private let ended = DispatchSemaphore(value: 0)

    var id: String? { state.withLock { $0.id } }

    /// False once Ctrl-C was pressed: no new turn starts.
    func beginTurn() -> Bool {
        state.withLock { s in
            guard !s.interrupted else { return false }
            s.turnInFlight = true
            return true
        }
    }

    /// The turn's reply arrived; true when Ctrl-C came meanwhile (the caller ends the session now).
    func finishTurn(id: String?) -> Bool {
        state.withLock { s in
            s.turnInFlight = false
            if let id { s.id = id }
            return s.interrupted
        }
    }

    /// The host ended the session itself (an escalation, the agent said goodbye): nothing to end.
    func endedByHost() {
        state.withLock { $0.id = nil }
    }

    /// Ctrl-C: true when the handler should end the session now (no turn in flight).
    func interrupt() -> Bool {
        state.withLock { s in
            s.interrupted = true
            return !s.turnInFlight
        }
    }

    /// Runs `end` with the session id once, whoever calls first; a later caller waits for it.
    func end(_ end: (String) throws(LocalChat.Failure) -> Void) throws(LocalChat.Failure) {
        let (first, id) = state.withLock { s in
            defer { s.ending = true }
            return (!s.ending, s.id)
        }
        guard first else {
            ended.wait()
            ended.signal()
            return
        }
        defer { ended.signal() }
        if let id { try end(id) }
    }
}

private final class ResultBox: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after.
    var value: ClientResult?
}
