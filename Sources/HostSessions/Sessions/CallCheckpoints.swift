import Foundation
import HostSupport

/// Where voice calls' checkpoints live (docs/protocol.md §8): the chat checkpoint's format, kept
/// per caller, because a caller who calls back after their call's host died comes with a new
/// session id and is known only by tenant and caller. Redis in production (`RedisCallCheckpoints`).
public protocol CallCheckpointStore: Sendable {
    /// [thread-safe] Replaces the call's checkpoint. Failures are logged, never block the call.
    func save(_ checkpoint: ChatCheckpoint)
    /// [thread-safe] Every call checkpoint of the caller (live calls and lost ones); [] when there
    /// is none or the store did not answer. `completion` on the store's loop thread.
    func all(tenant: String, caller: String, completion: @escaping @Sendable ([ChatCheckpoint]) -> Void)
    /// [thread-safe] Removes the call's checkpoint and hands it over, atomically: of two hosts
    /// taking one lost call, one gets it and the other `.gone`. `completion` on the store's loop thread.
    func take(tenant: String, caller: String, sessionID: String, completion: @escaping @Sendable (CallTake) -> Void)
    /// [thread-safe] The call ended here and is recorded: nothing of it is left to recover.
    func remove(tenant: String, caller: String, sessionID: String)
    /// [thread-safe] The processes whose calls have been checkpointed and not yet all ended or
    /// recorded ([] when Redis did not answer). `completion` on the store's loop thread.
    func ownersWithCalls(completion: @escaping @Sendable ([CallOwner]) -> Void)
    /// [thread-safe] Drops from `instance`'s index the calls that ended (their checkpoint gone),
    /// without reading any checkpoint. `completion` on the store's loop thread.
    func tidyCalls(ofOwner instance: String, completion: @escaping @Sendable () -> Void)
    /// [thread-safe] The checkpoints of `instance`'s calls still kept, after `tidyCalls`; the
    /// owner is dropped from the list once none is left. nil when Redis did not answer.
    /// `completion` on any thread (checkpoints are decoded off the store's loop: they grow with calls).
    func calls(ofOwner instance: String, completion: @escaping @Sendable ([ChatCheckpoint]?) -> Void)
    /// [thread-safe] Drops the call from its owner's index (recorded lost by a sweep); true when
    /// this removed it (false: another host's sweep did first). The checkpoint stays for a callback.
    func forget(_ checkpoint: ChatCheckpoint, completion: @escaping @Sendable (Bool) -> Void)
}

/// A process with checkpointed calls (`support:call-owners`): who it is, and when its first
/// checkpointed call started (a heartbeat of its host that started later is another process).
public struct CallOwner: Sendable, Equatable {
    public var owner: ChatOwner
    public var firstCallStartedAt: String

    public init(owner: ChatOwner, firstCallStartedAt: String) {
        self.owner = owner
        self.firstCallStartedAt = firstCallStartedAt
    }
}

/// What taking a lost call's checkpoint did.
public enum CallTake: Sendable {
    case taken(ChatCheckpoint)
    /// Not there: another host took it first (and records it), or its call ended.
    case gone
    /// Redis did not answer, or answered something unreadable: the take may have happened.
    case unknown
}

/// One Redis hash per caller, `support:call:{tenant}:{caller}`, field session id → checkpoint
/// JSON, its TTL renewed by every write. Each checkpoint with an owner is also listed under its
/// owner's process (`support:calls-of:{instance}`, a set, and `support:call-owners`, a hash of
/// those processes), so a live host can find the calls of a process that died and whose callers
/// never call back (HostServer+LostCallSweep.swift; CallCheckpoints+OwnerIndex.swift).
///
/// Why a hash per caller and not a key per call: a callback is found by its caller, and HGETALL
/// of one key costs one round trip where a key per call would need a scan. Why not journaled:
/// as for chat checkpoints (RedisChatCheckpoints), a checkpoint is replaced at every turn; what
/// losing one costs is only that a call lost while Redis was down cannot be recovered.
public final class RedisCallCheckpoints: CallCheckpointStore {
    let connection: RedisConnection
    /// How long a lost call can still be recovered by a callback (the session record's 24 h).
    let ttlSeconds: Int
    let logger: Logger

    public init(connection: RedisConnection, ttlSeconds: Int = 86_400, logger: Logger = .shared) {
        self.connection = connection
        self.ttlSeconds = max(1, ttlSeconds)
        self.logger = logger
    }

    /// `support:call:{tenant}:{caller}`.
    public static func key(tenant: String, caller: String) -> String { "support:call:\(tenant):\(caller)" }

    /// `support:call-owners`: the processes with calls in an index of their own, field instance →
    /// `{"owner":{lease text},"first_call_started_at":"…"}`.
    public static let ownersKey = "support:call-owners"

    /// `support:calls-of:{instance}`: the calls process `instance` has checkpointed.
    public static func ownerIndexKey(instance: String) -> String { "support:calls-of:\(instance)" }

    /// An owner index entry: the caller's hash key and the session id (the unit separator is in
    /// neither a key this host writes nor a session id it makes).
    static func indexEntry(_ checkpoint: ChatCheckpoint) -> String {
        key(tenant: checkpoint.tenant, caller: checkpoint.caller) + "\u{1F}" + checkpoint.sessionID
    }

    /// KEYS[1] hash, KEYS[2] the owner's index, KEYS[3] the owners (both absent without an owner);
    /// ARGV: session id, checkpoint, TTL s, index entry, owner instance, the owner's entry (kept
    /// from its first call). Checkpoint and index entry in one step: an entry whose checkpoint is
    /// gone is a call that ended (or was taken).
    static let saveScript = """
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    redis.call('EXPIRE', KEYS[1], ARGV[3])
    if KEYS[2] then
      redis.call('SADD', KEYS[2], ARGV[4])
      redis.call('EXPIRE', KEYS[2], ARGV[3])
      redis.call('HSETNX', KEYS[3], ARGV[5], ARGV[6])
      redis.call('EXPIRE', KEYS[3], ARGV[3])
    end
    return 1
    """

    /// KEYS[1] hash; ARGV[1] session id. The checkpoint, removed; nil when already gone.
    static let takeScript = """
    local value = redis.call('HGET', KEYS[1], ARGV[1])
    if value then redis.call('HDEL', KEYS[1], ARGV[1]) end
    return value
    """

    public func save(_ checkpoint: ChatCheckpoint) {
        guard let json = try? checkpoint.jsonText() else { return }
        let key = Self.key(tenant: checkpoint.tenant, caller: checkpoint.caller)
        var command = ["EVAL", Self.saveScript]
        if let owner = checkpoint.owner {
            let instance = owner.instance
            command += ["3", key, Self.ownerIndexKey(instance: instance), Self.ownersKey,
                        checkpoint.sessionID, json, String(ttlSeconds), Self.indexEntry(checkpoint), instance,
                        CallOwner(owner: owner, firstCallStartedAt: checkpoint.startedAt).jsonText]
        } else {
            command += ["1", key, checkpoint.sessionID, json, String(ttlSeconds)]
        }
        connection.send(command) { [logger] result in
            switch result {
            case .success(.error(let message)): logger.log(.warning, "sessions", "call checkpoint \(key) refused: \(message)")
            case .failure(let error): logger.log(.debug, "sessions", "call checkpoint \(key) not written: \(error)")
            case .success: break
            }
        }
    }

    public func all(tenant: String, caller: String, completion: @escaping @Sendable ([ChatCheckpoint]) -> Void) {
        let key = Self.key(tenant: tenant, caller: caller)
        connection.send(["HGETALL", key]) { [logger] result in
            guard case .success(.array(let replies)) = result else { return completion([]) }
            // Field, value, field, value…: the values are the checkpoints.
            let values = stride(from: 1, to: replies.count, by: 2).compactMap { index -> ChatCheckpoint? in
                guard case .string(let json) = replies[index] else { return nil }
                do { return try ChatCheckpoint.decode(json) } catch {
                    logger.log(.warning, "sessions", "call checkpoint in \(key) unreadable: \(error)")
                    return nil
                }
            }
            completion(values)
        }
    }

    public func take(tenant: String, caller: String, sessionID: String, completion: @escaping @Sendable (CallTake) -> Void) {
        let key = Self.key(tenant: tenant, caller: caller)
        connection.send(["EVAL", Self.takeScript, "1", key, sessionID]) { [logger] result in
            switch result {
            case .success(.string(let json)):
                do { completion(.taken(try ChatCheckpoint.decode(json))) } catch {
                    logger.log(.warning, "sessions", "call checkpoint \(sessionID) in \(key) taken but unreadable: \(error)")
                    completion(.unknown)
                }
            case .success(.null): completion(.gone)
            case .success(let other):
                logger.log(.warning, "sessions", "taking call checkpoint \(sessionID) in \(key): unexpected answer \(other)")
                completion(.unknown)
            case .failure(let error):
                logger.log(.warning, "sessions", "taking call checkpoint \(sessionID) in \(key): \(error) (it may have been taken)")
                completion(.unknown)
            }
        }
    }

    public func remove(tenant: String, caller: String, sessionID: String) {
        connection.send(["HDEL", Self.key(tenant: tenant, caller: caller), sessionID]) { _ in }
    }
}
