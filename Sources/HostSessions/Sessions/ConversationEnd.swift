import Foundation
import HostSupport

/// What else changes in Redis when a conversation's record is appended (docs/protocol.md §6, §7):
/// a chat conversation's checkpoint is deleted, and its owner lease becomes the ended marker.
///
/// Why it travels with the record: the record is journaled and replayed until Redis takes it
/// (`SessionJournal`), so the record's append script (`SessionStore.appendScript`) does these two
/// writes in the same step. Sent on their own, they were lost while Redis was away: the ended
/// conversation's checkpoint came back with Redis and, once its lease lapsed, any host continued a
/// conversation its caller had hung up.
public struct ConversationEnd: Sendable, Equatable, Codable {
    /// The lease text of the host (loop) that ended it: the marker replaces that lease, or none,
    /// never another host's.
    public var owner: String
    /// The ended marker (`ChatOwner.endedText`).
    public var marker: String
    public var markerTTLSeconds: Int
    /// A chat conversation: its checkpoint (§6) goes. A voice call's checkpoint is a field of the
    /// caller's call checkpoints (§8), which the append removes for every record.
    public var removesChatCheckpoint: Bool

    public init(owner: String, marker: String, markerTTLSeconds: Int, removesChatCheckpoint: Bool) {
        self.owner = owner
        self.marker = marker
        self.markerTTLSeconds = markerTTLSeconds
        self.removesChatCheckpoint = removesChatCheckpoint
    }

    enum CodingKeys: String, CodingKey {
        case owner, marker
        case markerTTLSeconds = "marker_ttl_s"
        case removesChatCheckpoint = "chat_checkpoint"
    }

    /// The journal line's `"ends"` value (the same keys `Decodable` reads).
    var jsonText: String {
        "{\"owner\":" + JSONText.quote(owner) + ",\"marker\":" + JSONText.quote(marker)
            + ",\"marker_ttl_s\":\(markerTTLSeconds),\"chat_checkpoint\":\(removesChatCheckpoint)}"
    }

    /// The append script's extra KEYS (3 and 4) and ARGV (7 to 10) for session `sessionID` of `tenant`.
    func scriptKeys(tenant: String, sessionID: String) -> [String] {
        [ChatCheckpoint.key(tenant: tenant, sessionID: sessionID), ChatOwner.key(tenant: tenant, sessionID: sessionID)]
    }

    var scriptArguments: [String] { [owner, marker, String(markerTTLSeconds), removesChatCheckpoint ? "1" : "0"] }
}
