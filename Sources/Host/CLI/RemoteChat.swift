import Foundation
import HostNet

/// `agent-host chat` against a running host: each line typed (or piped) is one POST /v1/chat turn
/// of the same session; events print as in `chat --local`.
public struct RemoteChat {
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
        var sessionID: String?
        let interactive = isatty(STDIN_FILENO) == 1
        while true {
            if interactive && !json { print("you> ", terminator: ""); fflush(nil) }
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            var body: [String: Any] = ["caller": caller, "text": text]
            if let sessionID { body["session_id"] = sessionID }
            if let tenant { body["tenant"] = tenant }
            var request = ClientRequest(method: "POST", url: url.hasSuffix("/") ? url + "v1/chat" : url + "/v1/chat")
            request.headers = HTTPHeaders([("Content-Type", "application/json")] + (apiKey.map { [("Authorization", "Bearer \($0)")] } ?? []))
            request.body = Array((try? JSONSerialization.data(withJSONObject: body)) ?? Data())
            let reply = Self.send(client, request)
            switch reply {
            case .failure(let error):
                throw LocalChat.Failure(description: "cannot reach \(url): \(error) (is `agent-host serve` or `agent-host demo` running?)", exitCode: 1)
            case .success(let response):
                let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
                guard response.status == 200 else {
                    throw LocalChat.Failure(description: "host answered \(response.status): \(object["error"] as? String ?? String(decoding: response.body, as: UTF8.self))", exitCode: 1)
                }
                sessionID = object["session_id"] as? String
                for event in object["events"] as? [[String: Any]] ?? [] {
                    printer.print(raw: event)
                    if event["type"] as? String == "end" { return }
                }
            }
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

private final class ResultBox: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after.
    var value: ClientResult?
}
