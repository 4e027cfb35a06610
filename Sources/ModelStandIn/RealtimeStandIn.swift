import Foundation
import HostNet
import Synchronization

/// A local stand-in for the OpenAI Realtime API (GA wire format), for tests and benchmarks: NOT
/// the real service. Serves `ws://127.0.0.1:<port>/v1/realtime?model=...` (put a `TLSTerminator`
/// in front for `wss://`), checks `Authorization: Bearer <apiKey>`, answers `session.update`
/// with `session.updated`, runs an energy VAD on appended audio, and plays `script` (audio
/// deltas, transcripts, function calls). Every client event is recorded for assertions.
public final class RealtimeStandIn: Sendable {
    public struct Recorded: Sendable {
        public let type: String
        public let json: String

        /// The event parsed (tests only).
        public var object: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        }
    }

    private let loop: EventLoop
    private let server: HTTPServer
    /// Shared with the connections' record callbacks (a Mutex cannot be copied into a closure).
    private final class EventLog: Sendable {
        let events = Mutex<[Recorded]>([])
    }

    private let log = EventLog()
    public var port: Int { server.port }
    public var url: String { "ws://127.0.0.1:\(server.port)/v1/realtime" }

    /// `deltaIntervalMilliseconds`: the pause between 100 ms audio deltas (the real service sends
    /// faster than real time too).
    public init(script: RealtimeScript, apiKey: String = "sk-standin", failure: RealtimeStandInFailure = .none,
                deltaIntervalMilliseconds: UInt64 = 20) throws {
        loop = EventLoop(name: "realtime-standin")
        loop.start()
        let log = self.log
        var configuration = HTTPServer.Configuration()
        configuration.webSocket = WebSocketConfiguration(maxMessageBytes: 16 << 20, idleTimeoutMilliseconds: 0, log: { _ in })
        let loop = self.loop
        server = HTTPServer(loop: loop, configuration: configuration, handler: { _, respond in
            respond(HTTPResponse(status: 404, text: "the Realtime stand-in serves only WebSocket /v1/realtime"))
        }, upgrade: { request in
            guard request.path == "/v1/realtime" else { return .reject(HTTPResponse(status: 404, text: "no such path")) }
            guard request.headers["Authorization"] == "Bearer \(apiKey)" else {
                return .reject(Self.errorResponse(401, code: "invalid_api_key", message: "Incorrect API key provided."))
            }
            if case .reject(let status) = failure {
                return .reject(Self.errorResponse(status, code: "unavailable", message: "The stand-in was told to refuse (\(status))."))
            }
            let session = RealtimeStandInSession(loop: loop, script: script, model: request.query("model") ?? "",
                                                 failure: failure, deltaInterval: deltaIntervalMilliseconds) { recorded in
                log.events.withLock { $0.append(recorded) }
            }
            return .accept(session.handler)
        })
        do {
            try server.start()
        } catch {
            loop.stop()
            throw error
        }
    }

    deinit {
        server.stop()
        loop.stop()
    }

    private static func errorResponse(_ status: Int, code: String, message: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"],
                     body: Array("{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"\(code)\",\"message\":\"\(message)\"}}".utf8))
    }

    /// Every client event received so far, in order.
    public var received: [Recorded] { log.events.withLock { $0 } }

    public func received(_ type: String) -> [Recorded] { received.filter { $0.type == type } }

    /// Waits (polling, up to `timeoutSeconds`) until `count` events of `type` arrived.
    @discardableResult
    public func waitFor(_ type: String, count: Int = 1, timeoutSeconds: Double = 5) -> [Recorded] {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while received(type).count < count, Date() < deadline { usleep(5_000) }
        return received(type)
    }
}
