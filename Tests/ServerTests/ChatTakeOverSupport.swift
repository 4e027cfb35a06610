import Foundation
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
}
