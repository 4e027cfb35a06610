import Foundation
import HostSupport

/// The owner index of call checkpoints (`RedisCallCheckpoints`): which process's calls are kept,
/// read by the lost-call sweep (HostServer+LostCallSweep.swift). A sweep asks whether a process is
/// gone from its `CallOwner` entry alone, and reads its checkpoints only then.
extension RedisCallCheckpoints {
    public func ownersWithCalls(completion: @escaping @Sendable ([CallOwner]) -> Void) {
        connection.send(["HGETALL", Self.ownersKey]) { [logger] result in
            guard case .success(.array(let replies)) = result else { return completion([]) }
            // Field, value, field, value…: the values are the owners.
            completion(stride(from: 1, to: replies.count, by: 2).compactMap { index -> CallOwner? in
                guard case .string(let text) = replies[index], let owner = CallOwner.decode(text) else {
                    logger.log(.warning, "sessions", "unreadable entry in \(Self.ownersKey): \(replies[index])")
                    return nil
                }
                return owner
            })
        }
    }

    /// KEYS[1] the owner's index. Drops the entries whose checkpoint is gone; answers how many are left.
    static let tidyScript = """
    for _, entry in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      local at = string.find(entry, '\\31', 1, true)
      if not at or redis.call('HEXISTS', string.sub(entry, 1, at - 1), string.sub(entry, at + 1)) == 0 then
        redis.call('SREM', KEYS[1], entry)
      end
    end
    return redis.call('SCARD', KEYS[1])
    """

    public func tidyCalls(ofOwner instance: String, completion: @escaping @Sendable () -> Void) {
        connection.send(["EVAL", Self.tidyScript, "1", Self.ownerIndexKey(instance: instance)]) { _ in completion() }
    }

    /// KEYS[1] the owner's index, KEYS[2] the owners; ARGV[1] the owner instance. The index's
    /// checkpoints; entries without one (their call ended or was taken) are removed, and the
    /// owner once its index is empty. The callers' hash keys come from the entries: this store
    /// runs on one Redis (or a Sentinel-managed master), not a cluster.
    static let ownerCallsScript = """
    local found = {}
    for _, entry in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      local at = string.find(entry, '\\31', 1, true)
      local value = at and redis.call('HGET', string.sub(entry, 1, at - 1), string.sub(entry, at + 1))
      if value then found[#found + 1] = value else redis.call('SREM', KEYS[1], entry) end
    end
    if #found == 0 then
      redis.call('DEL', KEYS[1])
      redis.call('HDEL', KEYS[2], ARGV[1])
    end
    return found
    """

    public func calls(ofOwner instance: String, completion: @escaping @Sendable ([ChatCheckpoint]?) -> Void) {
        let index = Self.ownerIndexKey(instance: instance)
        connection.send(["EVAL", Self.ownerCallsScript, "2", index, Self.ownersKey, instance]) { [logger] result in
            guard case .success(.array(let values)) = result else {
                logger.log(.debug, "sessions", "reading \(index): \(result)")
                return completion(nil)
            }
            DispatchQueue.global().async {
                completion(values.compactMap { value -> ChatCheckpoint? in
                    guard case .string(let json) = value else { return nil }
                    do { return try ChatCheckpoint.decode(json) } catch {
                        logger.log(.warning, "sessions", "call checkpoint listed in \(index) unreadable: \(error)")
                        return nil
                    }
                })
            }
        }
    }

    public func forget(_ checkpoint: ChatCheckpoint, completion: @escaping @Sendable (Bool) -> Void) {
        guard let instance = checkpoint.owner?.instance else { return completion(false) }
        connection.send(["SREM", Self.ownerIndexKey(instance: instance), Self.indexEntry(checkpoint)]) { result in
            if case .success(.integer(1)) = result { return completion(true) }
            completion(false)
        }
    }
}

extension CallOwner {
    /// `{"owner":{lease text},"first_call_started_at":"…"}` (`support:call-owners`' values).
    var jsonText: String {
        "{\"owner\":" + owner.jsonText() + ",\"first_call_started_at\":" + JSONText.quote(firstCallStartedAt) + "}"
    }

    static func decode(_ text: String) -> CallOwner? {
        struct Stored: Decodable {
            let owner: ChatOwner
            let first_call_started_at: String
        }
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(text.utf8)) else { return nil }
        return CallOwner(owner: stored.owner, firstCallStartedAt: stored.first_call_started_at)
    }
}
