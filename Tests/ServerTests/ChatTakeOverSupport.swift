import Foundation
import Glibc
import HostNet

/// What the suites moving chat conversations between two served hosts (ChatCheckpointTests,
/// ChatOwnerLeaseTests, ChatLeaseLostTests) read: the events of a chat socket, and the checkpoint
/// and owner lease of a conversation in the test's redis-server (docs/protocol.md §6, §7).
extension HostProcessTestCase {
    /// A chat socket's events up to and including the first of `type` (BlockingWebSocket.events).
    func chatEvents(_ socket: BlockingWebSocket, until type: String) -> [[String: Any]] { socket.events(until: type) }

    /// `ws://…` of `host`.
    func webSocketBase(_ host: Host) -> String { host.url.replacingOccurrences(of: "http://", with: "ws://") }

    /// The owner lease of demo session `id`, decoded (empty when there is none).
    func chatOwner(of id: String) throws -> [String: Any] {
        let text = try redis.cli("GET", "support:chat-owner:demo:\(id)")
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The checkpoint of demo session `id` as stored ("" when there is none).
    func chatCheckpoint(of id: String) throws -> String { try redis.cli("GET", "support:chat:demo:\(id)") }

    /// Freezes `host` (SIGSTOP: a hung host) until the owner leases of `ids` lapse (their TTL, 15 s);
    /// false if they did not within 25 s. A host left frozen by a failing test is SIGKILLed in
    /// tearDown like any other; `thaw` wakes it.
    func freeze(_ host: Host, untilLeasesLapse ids: [String]) throws -> Bool {
        kill(host.pid, SIGSTOP)
        return try eventually(25) { try ids.allSatisfy { try redis.cli("EXISTS", "support:chat-owner:demo:\($0)") == "0" } }
    }

    func thaw(_ host: Host) { kill(host.pid, SIGCONT) }
}
