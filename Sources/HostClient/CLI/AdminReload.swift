import Foundation
import Host
import HostNet

/// `agent-host reload --url URL --admin-key KEY`: POST /admin/v1/reload on a running host's admin
/// listener and print what changed (exit 0), or why the configuration was refused (exit 2).
public struct AdminReload {
    public var url: String
    public var adminKey: String

    public init(url: String, adminKey: String) {
        self.url = url
        self.adminKey = adminKey
    }

    public func run() throws(LocalChat.Failure) {
        let loop = EventLoop(name: "admin-client")
        loop.start()
        defer { loop.stop() }
        let client = HTTPClient(loop: loop)
        defer { client.close() }
        var request = ClientRequest(method: "POST", url: (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/admin/v1/reload")
        request.headers = HTTPHeaders([("Authorization", "Bearer \(adminKey)")])
        let done = DispatchSemaphore(value: 0)
        let box = LockedValue<ClientResult?>(nil)
        client.send(request) { outcome in
            box.set(outcome)
            done.signal()
        }
        done.wait()
        switch box.get() {
        case .failure(let error)?:
            throw LocalChat.Failure(description: "cannot reach the admin listener at \(url): \(error) (is admin: configured?)", exitCode: 1)
        case .success(let response)?:
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            switch response.status {
            case 200:
                for change in object["changes"] as? [String] ?? [] { print(change) }
            case 422:
                throw LocalChat.Failure(description: "reload refused, the running configuration stays: \(object["error"] as? String ?? "")", exitCode: 2)
            default:
                throw LocalChat.Failure(description: "admin listener answered \(response.status): \(object["error"] as? String ?? String(decoding: response.body, as: UTF8.self))", exitCode: 1)
            }
        case nil:
            throw LocalChat.Failure(description: "no answer from \(url)", exitCode: 1)
        }
    }
}
