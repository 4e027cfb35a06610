import Dispatch
import Foundation
import HostSupport

/// Why a store operation did not happen.
public enum SessionStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Redis did not answer (down, timeout, disconnected, closed).
    case unavailable(RedisError)
    /// Redis answered with an error reply (e.g. OOM, READONLY, a broken script).
    case rejected(String)
    /// The stored value is not a session record.
    case corrupt(String)
    /// The interaction could not be encoded (never expected: all fields are strings).
    case encoding(String)

    public var description: String {
        switch self {
        case .unavailable(let error): return "redis unavailable (\(error))"
        case .rejected(let message): return "redis rejected the command: \(message)"
        case .corrupt(let detail): return "corrupt session record: \(detail)"
        case .encoding(let detail): return "cannot encode interaction: \(detail)"
        }
    }

    /// Transport failures and error replies about the server's state (out of memory, replica,
    /// loading, busy script) heal by themselves; other error replies concern this one save.
    public var isTransient: Bool {
        switch self {
        case .unavailable: return true
        case .rejected(let message):
            let code = message.prefix { $0 != " " }
            return ["OOM", "READONLY", "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "NOREPLICAS", "CLUSTERDOWN"].contains(String(code))
        case .corrupt, .encoding: return false
        }
    }
}

/// Reads and appends docs/protocol.md §4 session records in Redis. No retries and no journal here
/// (`SessionJournal` adds those): each call is one command, bounded by the connection's command
/// timeout, and fails at once while Redis is down, so no caller waits long.
///
/// The append is one `EVAL` (atomic on the server, one round trip): two hosts appending to the
/// same key concurrently both land, which a GET-then-SET from the host could not promise.
public final class SessionStore: Sendable {
    public let connection: RedisConnection
    /// Interactions kept per record (the newest by `ended_at`).
    public let keep: Int
    /// Refreshed on every write.
    public let ttlSeconds: Int
    /// A save counts only once this many replicas acknowledged it (`WAIT`); 0: once the master
    /// did. With a failover (Redis Sentinel) a write only the old master held is gone with it, so
    /// the journal keeps each record until a replica has it too (docs/operations.md, `redis`).
    public let replicaAcks: Int
    private let metrics: MetricsRegistry?
    private let logger: Logger

    public init(connection: RedisConnection, keep: Int = 10, ttlSeconds: Int = 86_400, replicaAcks: Int = 0,
                metrics: MetricsRegistry? = nil, logger: Logger = .shared) {
        self.connection = connection
        self.keep = keep
        self.ttlSeconds = ttlSeconds
        self.replicaAcks = replicaAcks
        self.metrics = metrics
        self.logger = logger
        metrics?.describe("agent_host_session_store_seconds", type: "histogram",
                          help: "Latency of session record operations against Redis, by op (load, save).")
        metrics?.describe("agent_host_session_loads_total", type: "counter",
                          help: "Session record loads by result (hit, miss, error).")
    }

    // MARK: load

    /// [thread-safe] The caller's earlier interactions, oldest first; `[]` on a miss. Completes on
    /// the connection's loop thread within the command timeout.
    public func load(tenant: String, caller: String,
                     completion: @escaping @Sendable (Result<[SessionRecord.Interaction], SessionStoreError>) -> Void) {
        let key = SessionRecord.key(tenant: tenant, caller: caller)
        let started = DispatchTime.now()
        connection.send(["GET", key]) { [self] result in
            let outcome: Result<[SessionRecord.Interaction], SessionStoreError>
            switch result {
            case .success(.null):
                outcome = .success([])
            case .success(.string(let json)):
                do { outcome = .success(try SessionRecord.decode(json).interactions) } catch {
                    outcome = .failure(.corrupt("\(key): \(error)"))
                }
            case .success(.error(let message)):
                outcome = .failure(.rejected(message))
            case .success(let other):
                outcome = .failure(.rejected("unexpected GET reply \(other)"))
            case .failure(let error):
                outcome = .failure(.unavailable(error))
            }
            observe("load", since: started)
            switch outcome {
            case .success(let list): metrics?.increment("agent_host_session_loads_total", labels: ["result": list.isEmpty ? "miss" : "hit"])
            case .failure(let error):
                metrics?.increment("agent_host_session_loads_total", labels: ["result": "error"])
                logger.log(.warning, "sessions", "load \(key) failed: \(error)")
            }
            completion(outcome)
        }
    }

    /// [thread-safe] `load` for async callers.
    public func load(tenant: String, caller: String) async -> Result<[SessionRecord.Interaction], SessionStoreError> {
        await withCheckedContinuation { continuation in
            load(tenant: tenant, caller: caller) { continuation.resume(returning: $0) }
        }
    }

    // MARK: save

    /// [thread-safe] Appends `interaction` to the record atomically (see `appendScript`).
    /// Succeeds with the number of interactions now kept. Idempotent per `session_id`, so a save
    /// whose reply was lost can be sent again. Completes on the loop thread.
    public func save(_ interaction: SessionRecord.Interaction, tenant: String, caller: String,
                     completion: @escaping @Sendable (Result<Int, SessionStoreError>) -> Void) {
        let json: String
        do { json = try interaction.jsonText() } catch {
            return completion(.failure(.encoding("\(error)")))
        }
        save(json: json, sessionID: interaction.sessionID, tenant: tenant, caller: caller, completion: completion)
    }

    /// [thread-safe] `save` for async callers.
    public func save(_ interaction: SessionRecord.Interaction, tenant: String, caller: String) async -> Result<Int, SessionStoreError> {
        await withCheckedContinuation { continuation in
            save(interaction, tenant: tenant, caller: caller) { continuation.resume(returning: $0) }
        }
    }

    /// The save with the interaction already encoded (the journal keeps this text); `ending`: the
    /// conversation's checkpoint and lease change in the same script (`ConversationEnd`).
    /// `keepsCallCheckpoint`: a lost call recorded by a sweep keeps its checkpoint for the caller's
    /// callback, which continues it (HostServer+LostCallSweep.swift). `waitingForReplicas` false:
    /// answered at the EVAL's reply even with `replicaAcks`, because the caller sends one
    /// `waitForReplicas` after several saves (the journal's pipeline).
    func save(json: String, sessionID: String, tenant: String, caller: String, ending: ConversationEnd? = nil,
              keepsCallCheckpoint: Bool = false, waitingForReplicas: Bool = true,
              completion: @escaping @Sendable (Result<Int, SessionStoreError>) -> Void) {
        let key = SessionRecord.key(tenant: tenant, caller: caller)
        let started = DispatchTime.now()
        var keys = [key, RedisCallCheckpoints.key(tenant: tenant, caller: caller)]
        if let ending { keys += ending.scriptKeys(tenant: tenant, sessionID: sessionID) }
        let args = ["EVAL", Self.appendScript, String(keys.count)] + keys
            + [json, tenant, caller, SessionRecord.timeText(Date()), String(keep), String(ttlSeconds)]
            + (ending?.scriptArguments ?? (keepsCallCheckpoint ? ["", "", "0", "0"] : []))
            + (keepsCallCheckpoint ? ["1"] : [])
        connection.send(args) { [self] result in
            observe("save", since: started)
            switch result {
            case .success(.integer(Self.movedAway)):
                logger.log(.info, "sessions", "session \(sessionID) of \(tenant) not recorded here: another host holds or ended its conversation and records it")
                completion(.success(0))
            case .success(.integer(let kept)) where replicaAcks > 0 && waitingForReplicas:
                waitForReplicas { completion($0.map { Int(kept) }) }
            case .success(.integer(let kept)): completion(.success(Int(kept)))
            case .success(.error(let message)): completion(.failure(.rejected(message)))
            case .success(let other): completion(.failure(.rejected("unexpected EVAL reply \(other)")))
            case .failure(let error): completion(.failure(.unavailable(error)))
            }
        }
    }

    /// `WAIT replicaAcks T`: replicas acknowledge everything this connection wrote so far (the
    /// saves sent before it). Fewer acks is a transient `NOREPLICAS` failure: the journal keeps
    /// the records and sends them again (the append is idempotent per session id), so a failover
    /// cannot lose them. Completes on the loop thread.
    func waitForReplicas(completion: @escaping @Sendable (Result<Void, SessionStoreError>) -> Void) {
        // The server-side wait stays inside the command timeout, so the reply wins the race.
        let waitMilliseconds = max(1, connection.options.commandTimeoutMilliseconds / 2)
        connection.send(["WAIT", String(replicaAcks), String(waitMilliseconds)]) { [replicaAcks] result in
            switch result {
            case .success(.integer(let acked)) where acked >= replicaAcks: completion(.success(()))
            case .success(.integer(let acked)):
                completion(.failure(.rejected("NOREPLICAS the record reached \(acked) of \(replicaAcks) replica(s) (redis.replica_acks)")))
            case .success(.error(let message)): completion(.failure(.rejected(message)))
            case .success(let other): completion(.failure(.rejected("unexpected WAIT reply \(other)")))
            case .failure(let error): completion(.failure(.unavailable(error)))
            }
        }
    }

    private func observe(_ op: String, since started: DispatchTime) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        metrics?.observe("agent_host_session_store_seconds", seconds, labels: ["op": op])
    }

    /// The atomic append. KEYS[1] = record key, KEYS[2] = the caller's call checkpoints
    /// (docs/protocol.md §8); ARGV = interaction JSON, tenant, caller, updated_at, keep, ttl seconds.
    /// With a `ConversationEnd`, also KEYS[3] = the chat checkpoint (§6), KEYS[4] = the owner
    /// lease (§7), ARGV[7...10] = the ending host's lease, the ended marker, its TTL seconds, "1"
    /// to delete the chat checkpoint; ARGV[11] "1" keeps the call checkpoint (a lost call recorded
    /// by a sweep, continued when its caller calls back).
    ///
    /// - A chat conversation's record (ARGV[10] = "1") is not written when its lease names another
    ///   host, or that host's ended marker (`movedAway`, -1): this host's copy is stale — it hung
    ///   while the conversation moved, and its idle timer ended it on waking before its lease
    ///   renewal could tell it — and the new owner records the whole conversation. A voice call's is
    ///   written whatever the lease says: its caller stayed on this host's line.
    /// - Removes the session's call checkpoint (a voice call's; nothing for others) in the same
    ///   step, after the record's `SET` (so an out-of-memory refusal still stops the script before
    ///   it wrote anything: Redis lets a script that already wrote go on): the record is journaled and replayed until Redis takes it, so the removal is too.
    ///   Sent on its own, it would be lost while Redis is away, and the ended call would come back
    ///   as a cut-off one when its caller calls again. The same for a `ConversationEnd`: the chat
    ///   checkpoint is deleted and the lease (this host's, or none) becomes the ended marker.
    /// - Drops an interaction with the same `session_id` first: a replayed save (timed out but
    ///   applied, or replayed after a crash before the journal was compacted) is not duplicated.
    ///   If that interaction ended later, it stays and the save changes nothing: a conversation
    ///   handed to another host at a drain deadline is saved as `handed_over` there and again when
    ///   it really ends, and the real end wins whichever save arrives last.
    /// - Inserts by `ended_at` (fixed-width ISO-8601 sorts as text), so replays and two hosts
    ///   racing still leave the record in time order; trims the oldest beyond `keep`.
    /// - A value that is not a record (corrupt, wrong type) is replaced rather than failing every
    ///   save for that caller forever.
    /// - Encodes with one `cjson.encode`, then mends the list fields: Redis's cjson writes an empty
    ///   array as `{}`, which would turn `"tools": []` into an object after the first rewrite. A key
    ///   always follows `{` or `,` in cjson's output and a quote inside a string is escaped, so the
    ///   pattern meets only real keys. (It replaced an encoder written in Lua whose nested
    ///   concatenations made Redis hash every level's string again: a save into a caller's full
    ///   history cost Redis ~165 µs of its one thread, now ~110 µs: scripts/append-script-cost.)
    /// - `SET ... EX` refreshes the 24 h TTL on every write.
    /// The append script's answer when a chat record was not written because its conversation moved.
    static let movedAway: Int64 = -1

    static let appendScript = """
        local new = cjson.decode(ARGV[1])
        if KEYS[4] and ARGV[10] == '1' then
          local lease = redis.pcall('GET', KEYS[4])
          if type(lease) == 'string' and lease ~= ARGV[7] and not string.find(lease, ARGV[7], 1, true) then return -1 end
        end
        local function ended()
          if ARGV[11] ~= '1' then redis.pcall('HDEL', KEYS[2], tostring(new.session_id)) end
          if KEYS[4] then
            if ARGV[10] == '1' then redis.pcall('DEL', KEYS[3]) end
            local lease = redis.pcall('GET', KEYS[4])
            if lease == false or lease == ARGV[7] then redis.pcall('SET', KEYS[4], ARGV[8], 'EX', tonumber(ARGV[9])) end
          end
        end
        local list = {}
        local raw = redis.pcall('GET', KEYS[1])
        if type(raw) == 'string' then
          local ok, record = pcall(cjson.decode, raw)
          if ok and type(record) == 'table' and type(record.interactions) == 'table' then
            local later = false
            for _, item in ipairs(record.interactions) do
              if type(item) == 'table' and item.session_id ~= new.session_id then
                list[#list + 1] = item
              elseif type(item) == 'table' and tostring(item.ended_at) > tostring(new.ended_at) then
                later = true
              end
            end
            if later then
              ended()
              return #record.interactions
            end
          end
        end
        local at = #list + 1
        while at > 1 and tostring(list[at - 1].ended_at) > tostring(new.ended_at) do at = at - 1 end
        table.insert(list, at, new)
        local keep = tonumber(ARGV[5])
        while #list > keep do table.remove(list, 1) end
        local arrays = {interactions = true, agents = true, tools = true, transcript = true}
        local text = cjson.encode({tenant = ARGV[2], caller = ARGV[3], updated_at = ARGV[4], interactions = list})
        text = string.gsub(text, '([{,])"(%a+)":{}', function(before, key)
          if arrays[key] then return before .. '"' .. key .. '":[]' end
        end)
        redis.call('SET', KEYS[1], text, 'EX', tonumber(ARGV[6]))
        ended()
        return #list
        """
}
