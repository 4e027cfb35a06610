import Foundation
import HostSupport

/// The host serving a chat conversation now (docs/protocol.md §7): kept in Redis beside the
/// conversation's checkpoint so that a second host asked to continue it knows whether it may.
///
/// `instance` tells two processes with the same `hostID` apart (a host restarted on its port
/// after a crash): the lease of an earlier process at one's own address is a dead owner's.
/// `loop` tells the event loops of one process apart (a host with `server.loops` > 1): each loop
/// holds its leases with its own text, so one loop's compare-and-set (a release, a claim) never
/// takes or drops a lease another loop of the same process holds.
public struct ChatOwner: Codable, Sendable, Equatable {
    public var hostID: String
    public var address: String
    public var instance: String
    /// The event loop holding the lease (nil: the host has one loop).
    public var loop: Int?

    public init(hostID: String, address: String, instance: String = UUID().uuidString.lowercased(), loop: Int? = nil) {
        self.hostID = hostID
        self.address = address
        self.instance = instance
        self.loop = loop
    }

    enum CodingKeys: String, CodingKey {
        case hostID = "host_id", address, instance, loop
    }

    /// This owner on event loop `index` of its process (nil: the process has one loop).
    public func onLoop(_ index: Int?) -> ChatOwner {
        var copy = self
        copy.loop = index
        return copy
    }

    /// `support:chat-owner:{tenant}:{session_id}`.
    public static func key(tenant: String, sessionID: String) -> String { "support:chat-owner:\(tenant):\(sessionID)" }

    /// `{"address":…,"host_id":…,"instance":…,"loop":…}`: the bytes JSONEncoder wrote (sorted keys,
    /// slashes unescaped), written directly — a call's checkpoint carries it after every turn.
    /// Leases are compared as text, so the bytes matter (`ChatCheckpointJSONTests`).
    public func jsonText() -> String {
        "{\"address\":" + JSONText.quote(address) + ",\"host_id\":" + JSONText.quote(hostID)
            + ",\"instance\":" + JSONText.quote(instance) + (loop.map { ",\"loop\":\($0)" } ?? "") + "}"
    }

    public static func decode(_ text: String) -> ChatOwner? {
        try? JSONDecoder().decode(ChatOwner.self, from: Data(text.utf8))
    }

    /// The lease key's value once its conversation ended (docs/protocol.md §7, "Ended"):
    /// `{"ended_at":"…","owner":{…}}`, the lease of the host that ended it inside. Every
    /// compare-and-set on the key fails against it — a claim, a renewal, a guarded checkpoint
    /// write — so a host that hung through the conversation's take-over and end cannot bring it
    /// back when it wakes: there is something left to compare against.
    public static func endedText(by owner: String, at time: String) -> String {
        "{\"ended_at\":\"\(time)\",\"owner\":\(owner)}"
    }

    /// Whether a lease key's value is an ended marker (`endedText`).
    public static func isEnded(_ text: String) -> Bool { text.hasPrefix("{\"ended_at\":") }
}

/// What a claim found.
public enum ChatLeaseClaim: Sendable, Equatable {
    /// The lease is this host's now.
    case claimed
    /// Another host holds it: its lease as stored (`text`, for a later claim that replaces exactly
    /// that one) and what it says (nil if unreadable).
    case held(owner: ChatOwner?, text: String)
    /// The conversation ended (its lease key holds the ended marker): nobody may continue it.
    case ended
    /// Redis did not answer: nobody can know who serves the conversation.
    case unavailable(String)
}

/// Owner leases of chat conversations: Redis in production (`RedisChatOwnerLeases`).
public protocol ChatOwnerLeases: Sendable {
    /// This host, as its leases name it.
    var me: ChatOwner { get }
    /// How long a lease lives without renewal.
    var ttlMilliseconds: UInt64 { get }
    /// [thread-safe] Takes the lease if nobody holds it, this host already does, or it is exactly
    /// `replacing` (a lease found earlier whose owner turned out dead). `completion` runs on the
    /// store's loop thread.
    func claim(tenant: String, sessionID: String, replacing: String?, completion: @escaping @Sendable (ChatLeaseClaim) -> Void)
    /// [thread-safe] Extends this host's leases of `sessions` (tenant, session id), taking any that
    /// lapsed meanwhile; `lost` gets the ones another host holds now (loop thread of the store).
    func renew(_ sessions: [(tenant: String, sessionID: String)], lost: @escaping @Sendable ([String]) -> Void)
    /// [thread-safe] Gives the lease up if this host holds it.
    func release(tenant: String, sessionID: String)
    /// [thread-safe] The conversation ended here: replaces this host's lease (or none) by the ended
    /// marker (`ChatOwner.endedText`), kept as long as the session record; another host's lease is
    /// left alone.
    func end(tenant: String, sessionID: String)
    /// [thread-safe] What `end` writes, as a `ConversationEnd` for the session record's append to
    /// write instead, journaled with the record; nil when the store has no ended marker.
    func ending(removesChatCheckpoint: Bool) -> ConversationEnd?
}

extension ChatOwnerLeases {
    /// Stores without an ended marker give the lease up.
    public func end(tenant: String, sessionID: String) { release(tenant: tenant, sessionID: sessionID) }

    /// Stores without an ended marker: nothing for the record's append to write.
    public func ending(removesChatCheckpoint: Bool) -> ConversationEnd? { nil }
}

/// Leases as one Redis key per conversation, written only through compare-and-set scripts so
/// that two hosts can never both believe they took one over.
///
/// Why a key of its own and not a field of the checkpoint: the checkpoint is rewritten after
/// every turn and lives as long as the session may idle (minutes); the lease must be renewed
/// every few seconds whether or not anyone speaks, and must lapse quickly when its host stops
/// renewing. Renewal is one `EVAL` per renewal period for all of a loop's conversations.
public final class RedisChatOwnerLeases: ChatOwnerLeases {
    public let me: ChatOwner
    public let ttlMilliseconds: UInt64
    private let mine: String
    let connection: RedisConnection
    private let logger: Logger

    /// How long an ended marker stays (`end`): the session record's 24 h, the longest a woken
    /// host's copy could still replace anything.
    let endedTTLSeconds: Int

    public init(connection: RedisConnection, me: ChatOwner, ttlMilliseconds: UInt64 = 15_000, endedTTLSeconds: Int = 86_400,
                logger: Logger = .shared) {
        self.connection = connection
        self.me = me
        self.mine = me.jsonText()
        self.ttlMilliseconds = max(1000, ttlMilliseconds)
        self.endedTTLSeconds = max(1, endedTTLSeconds)
        self.logger = logger
    }

    /// KEYS[1] lease; ARGV: mine, the lease it may replace ("" none), TTL ms. 1, or the holder's lease.
    static let claimScript = """
    local current = redis.call('GET', KEYS[1])
    if current == false or current == ARGV[1] or (ARGV[2] ~= '' and current == ARGV[2]) then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
      return 1
    end
    return current
    """

    /// KEYS leases; ARGV: mine, TTL ms. The keys (indexes, 1-based) another host holds.
    static let renewScript = """
    local lost = {}
    for i, key in ipairs(KEYS) do
      local current = redis.call('GET', key)
      if current == false or current == ARGV[1] then
        redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
      else
        lost[#lost + 1] = i
      end
    end
    return lost
    """

    /// KEYS[1] lease; ARGV[1] mine.
    static let releaseScript = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """

    /// KEYS[1] lease; ARGV: mine, the ended marker, its TTL s. 1 when the marker was written (the
    /// lease was this host's or lapsed), 0 when another host holds the lease.
    static let endScript = """
    local current = redis.call('GET', KEYS[1])
    if current == false or current == ARGV[1] then
      redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
      return 1
    end
    return 0
    """

    public func claim(tenant: String, sessionID: String, replacing: String?, completion: @escaping @Sendable (ChatLeaseClaim) -> Void) {
        let key = ChatOwner.key(tenant: tenant, sessionID: sessionID)
        connection.send(["EVAL", Self.claimScript, "1", key, mine, replacing ?? "", String(ttlMilliseconds)]) { result in
            switch result {
            case .success(.integer(1)): completion(.claimed)
            case .success(.string(let text)) where ChatOwner.isEnded(text): completion(.ended)
            case .success(.string(let text)): completion(.held(owner: ChatOwner.decode(text), text: text))
            case .success(let other): completion(.unavailable("unexpected reply \(other)"))
            case .failure(let error): completion(.unavailable("\(error)"))
            }
        }
    }

    public func renew(_ sessions: [(tenant: String, sessionID: String)], lost: @escaping @Sendable ([String]) -> Void) {
        guard !sessions.isEmpty else { return }
        let keys = sessions.map { ChatOwner.key(tenant: $0.tenant, sessionID: $0.sessionID) }
        let ids = sessions.map(\.sessionID)
        connection.send(["EVAL", Self.renewScript, String(keys.count)] + keys + [mine, String(ttlMilliseconds)]) { [logger] result in
            switch result {
            case .success(.array(let indexes)):
                let taken = indexes.compactMap { reply -> String? in
                    guard case .integer(let index) = reply, index >= 1, Int(index) <= ids.count else { return nil }
                    return ids[Int(index) - 1]
                }
                if !taken.isEmpty { lost(taken) }
            case .success(.error(let message)): logger.log(.warning, "sessions", "chat owner leases not renewed: \(message)")
            case .failure(let error): logger.log(.debug, "sessions", "chat owner leases not renewed: \(error)")
            case .success: break
            }
        }
    }

    public func release(tenant: String, sessionID: String) {
        connection.send(["EVAL", Self.releaseScript, "1", ChatOwner.key(tenant: tenant, sessionID: sessionID), mine]) { _ in }
    }

    public func ending(removesChatCheckpoint: Bool) -> ConversationEnd? { endingNow(removesChatCheckpoint: removesChatCheckpoint) }

    /// The ended marker as of now, over this host's lease (`end`, and the record's append).
    private func endingNow(removesChatCheckpoint: Bool) -> ConversationEnd {
        ConversationEnd(owner: mine, marker: ChatOwner.endedText(by: mine, at: SessionRecord.timeText(Date())),
                        markerTTLSeconds: endedTTLSeconds, removesChatCheckpoint: removesChatCheckpoint)
    }

    public func end(tenant: String, sessionID: String) {
        let key = ChatOwner.key(tenant: tenant, sessionID: sessionID)
        let ended = endingNow(removesChatCheckpoint: false)
        connection.send(["EVAL", Self.endScript, "1", key, mine, ended.marker, String(ended.markerTTLSeconds)]) { [logger] result in
            switch result {
            case .success(.integer(0)): logger.log(.warning, "sessions", "\(key) ended here but another host holds its lease: left to it")
            case .success(.error(let message)): logger.log(.warning, "sessions", "\(key): ended marker refused: \(message)")
            case .failure(let error): logger.log(.debug, "sessions", "\(key): ended marker not written: \(error)")
            case .success: break
            }
        }
    }
}
