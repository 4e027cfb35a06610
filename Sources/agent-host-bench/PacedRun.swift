import Foundation
import HostNet
import Synchronization

/// `clients` chat users, each with one session that sends a turn every `intervalMilliseconds`
/// (first turn at a random offset, so they do not arrive in lockstep) for `turnsPerClient` turns.
/// This is what "N concurrent chat clients" means for a person typing, unlike `LoadRun`, which
/// sends the next turn the moment the last one ends and so measures saturation.
struct PacedRun {
    let clients: Int
    let turnsPerClient: Int
    let intervalMilliseconds: UInt64
    static let texts = ["I need a refund for order ORD-12345", "it arrived cracked", "no thanks", "what is your shipping policy"]

    func runWebSocket(loop: EventLoop, base: String) -> LoadRun.Result {
        let tally = LoadRun.Tally(target: clients * turnsPerClient)
        let start = DispatchTime.now().uptimeNanoseconds
        for id in 0..<clients {
            let user = PacedUser(id: id, turns: turnsPerClient, interval: intervalMilliseconds, loop: loop, tally: tally)
            // People do not all connect in the same millisecond: spread arrivals over one interval.
            let arrival = UInt64.random(in: 0...intervalMilliseconds)
            loop.execute { LoopTimer.once(on: loop, after: arrival) { user.connect(base + "/ws/chat/paced\(id)") } }
        }
        tally.waitAll(seconds: Double(turnsPerClient) * Double(intervalMilliseconds) / 1000 + 30)
        return LoadRun.Result(latencies: tally.all, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, failures: tally.failures)
    }

    func runHTTP(client: HTTPClient, loop: EventLoop, base: String) -> LoadRun.Result {
        let tally = LoadRun.Tally(target: clients * turnsPerClient)
        let start = DispatchTime.now().uptimeNanoseconds
        for id in 0..<clients {
            let user = PacedHTTPUser(id: id, turns: turnsPerClient, interval: intervalMilliseconds, loop: loop, client: client, base: base, tally: tally)
            loop.execute { user.schedule(first: true) }
        }
        tally.waitAll(seconds: Double(turnsPerClient) * Double(intervalMilliseconds) / 1000 + 30)
        return LoadRun.Result(latencies: tally.all, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, failures: tally.failures)
    }
}

/// One paced WebSocket user (its state lives on the client loop).
final class PacedUser: @unchecked Sendable {
    // @unchecked: touched only on the client loop's thread.
    let id: Int
    let turns: Int
    let interval: UInt64
    let loop: EventLoop
    let tally: LoadRun.Tally
    private var socket: WebSocketConnection?
    private var sent = 0
    private var began: UInt64 = 0
    private var timer: LoopTimer?
    private var finished = false

    init(id: Int, turns: Int, interval: UInt64, loop: EventLoop, tally: LoadRun.Tally) {
        self.id = id
        self.turns = turns
        self.interval = interval
        self.loop = loop
        self.tally = tally
    }

    func connect(_ url: String) {
        let handler = WebSocketHandler(
            onText: { [self] socket, text in
                if text.contains(#""type":"session""#) {
                    self.socket = socket
                    schedule(after: interval)
                } else if text.contains(#""type":"turn_end""#) {
                    tally.record(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
                    if sent < turns { schedule(after: interval) } else { finish(); socket.send(text: #"{"type":"end"}"#) }
                }
            },
            onClose: { [self] _, code, reason in
                if sent < turns { print("paced client \(id): closed early (\(code) \(reason)) after \(sent) turns") }
                while !finished && sent < turns { sent += 1; tally.record(nil) }
                finish()
            })
        WebSocketClient.connect(url, loop: loop, handler: handler) { [self] error in
            print("paced client \(id): connect failed: \(error)")
            loop.execute { [self] in for _ in sent..<turns { tally.record(nil) }; sent = turns; finish() }
        }
    }

    private func schedule(after milliseconds: UInt64) {
        if timer == nil { timer = LoopTimer(loop: loop) }
        timer?.start(after: milliseconds) { [self] in
            sent += 1
            began = DispatchTime.now().uptimeNanoseconds
            socket?.send(text: "{\"type\":\"text\",\"text\":\"\(PacedRun.texts[sent % PacedRun.texts.count])\"}")
        }
    }

    private func finish() {
        finished = true
        timer?.close()
        timer = nil
    }
}

/// One paced POST /v1/chat user: its first turn starts the session, later turns continue it.
final class PacedHTTPUser: @unchecked Sendable {
    // @unchecked: touched only on the client loop's thread (HTTPClient completions hop back there).
    let id: Int
    let turns: Int
    let interval: UInt64
    let loop: EventLoop
    let client: HTTPClient
    let base: String
    let tally: LoadRun.Tally
    private var sessionID: String?
    private var sent = 0
    private var timer: LoopTimer?

    init(id: Int, turns: Int, interval: UInt64, loop: EventLoop, client: HTTPClient, base: String, tally: LoadRun.Tally) {
        self.id = id
        self.turns = turns
        self.interval = interval
        self.loop = loop
        self.client = client
        self.base = base
        self.tally = tally
    }

    /// When the first turn was due (ms of `DispatchTime`): turn k is due `k` intervals later.
    private var origin: UInt64 = 0

    /// A person sends a turn every `interval` ms, whenever the last answer came (not `interval`
    /// after it): with the next send timed from the answer, clients whose answers came together
    /// send together a second later, and a one-off delay grows into bursts every second.
    func schedule(first: Bool) {
        guard sent < turns else { timer?.close(); timer = nil; return }
        if timer == nil { timer = LoopTimer(loop: loop) }
        let now = DispatchTime.now().uptimeNanoseconds / 1_000_000
        let delay: UInt64
        if first {
            delay = UInt64.random(in: 0...interval)
            origin = now + delay
        } else {
            let due = origin + UInt64(sent) * interval
            delay = due > now ? due - now : 0
        }
        timer?.start(after: delay) { [self] in send() }
    }

    private func send() {
        sent += 1
        var body = "{\"caller\":\"+1paced\(id)\",\"text\":\"\(PacedRun.texts[sent % PacedRun.texts.count])\""
        if let sessionID { body += ",\"session_id\":\"\(sessionID)\"" }
        var request = ClientRequest(method: "POST", url: base + "/v1/chat")
        request.body = Array((body + "}").utf8)
        let began = DispatchTime.now().uptimeNanoseconds
        client.send(request) { [self] result in
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6
            loop.execute { [self] in
                if let response = try? result.get(), response.status == 200 {
                    if sessionID == nil, let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
                        sessionID = object["session_id"] as? String
                    }
                    tally.record(elapsed)
                } else {
                    tally.record(nil)
                }
                schedule(first: false)
            }
        }
    }
}

extension LoopTimer {
    /// Runs `body` once after `milliseconds` on `loop` (loop thread), then releases the timer.
    static func once(on loop: EventLoop, after milliseconds: UInt64, _ body: @escaping () -> Void) {
        let timer = LoopTimer(loop: loop)
        timer.start(after: milliseconds) {
            timer.close()
            body()
        }
    }
}
