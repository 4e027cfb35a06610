import Foundation
import HostSupport

/// A live chat conversation's state after its last turn (docs/protocol.md §6): enough for any host
/// sharing the Redis to continue it (`POST /v1/chat` with its `session_id`, or a chat WebSocket
/// reconnecting with `?session_id=`) when the host it ran on is gone. Agents' scratch state is
/// host-held JSON (the `set_state` host call), so the whole conversation is plain data.
public struct ChatCheckpoint: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        public var role: String
        public var agent: String?
        public var text: String
        public init(role: String, agent: String?, text: String) {
            self.role = role
            self.agent = agent
            self.text = text
        }
    }

    public var sessionID: String
    public var tenant: String
    public var caller: String
    /// Component id of the agent the caller is talking to.
    public var currentAgent: String
    /// Component id → that agent's state JSON.
    public var agentStates: [String: String]
    public var history: [Line]
    public var turnNumber: Int
    public var agentsVisited: [String]
    public var toolsCalled: [String]
    /// The caller's earlier sessions as the conversation saw them at its start (kept so a resumed
    /// conversation still knows the caller as returning).
    public var previousSessions: [String]
    public var startedAt: String
    public var updatedAt: String
    /// The W3C `traceparent` of the conversation's `session` span (tracing on): the host that
    /// continues it continues its trace. Absent when tracing is off (and in older checkpoints).
    public var traceParent: String?
    /// Voice calls only (docs/protocol.md §8): the host serving the call, so that this very
    /// process never takes a call of its own (on another of its loops) for a lost one.
    public var owner: ChatOwner?
    /// Voice calls only: the first this many `history` lines were carried over from a lost call
    /// this one continues (they are that call's, not this one's, in the session record).
    public var inheritedLines: Int?

    public init(sessionID: String, tenant: String, caller: String, currentAgent: String, agentStates: [String: String],
                history: [Line], turnNumber: Int, agentsVisited: [String], toolsCalled: [String],
                previousSessions: [String], startedAt: String, updatedAt: String, traceParent: String? = nil) {
        self.sessionID = sessionID
        self.tenant = tenant
        self.caller = caller
        self.currentAgent = currentAgent
        self.agentStates = agentStates
        self.history = history
        self.turnNumber = turnNumber
        self.agentsVisited = agentsVisited
        self.toolsCalled = toolsCalled
        self.previousSessions = previousSessions
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.traceParent = traceParent
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", tenant, caller, currentAgent = "current_agent", agentStates = "agent_states",
             history, turnNumber = "turn_number", agentsVisited = "agents_visited", toolsCalled = "tools_called",
             previousSessions = "previous_sessions", startedAt = "started_at", updatedAt = "updated_at", traceParent = "trace_parent",
             owner, inheritedLines = "inherited_lines"
    }

    /// `support:chat:{tenant}:{session_id}`.
    public static func key(tenant: String, sessionID: String) -> String { "support:chat:\(tenant):\(sessionID)" }

    /// Compact JSON, keys sorted (as JSONEncoder's `.sortedKeys` wrote it before), written directly:
    /// a checkpoint is encoded after every chat turn and grows with the conversation, and
    /// JSONEncoder's cost per line made that the largest caller-sized piece of a turn on the loop.
    /// `ChatCheckpointJSONTests` checks it against JSONEncoder's output, value for value.
    public func jsonText() throws -> String {
        var out = "{\"agent_states\":{"
        out.reserveCapacity(256 + history.reduce(0) { $0 + $1.text.utf8.count + 48 } + previousSessions.reduce(0) { $0 + $1.utf8.count + 8 })
        for (index, (agent, state)) in agentStates.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out += "," }
            out += JSONText.quote(agent) + ":" + JSONText.quote(state)
        }
        out += "},\"agents_visited\":" + Self.array(agentsVisited)
        out += ",\"caller\":" + JSONText.quote(caller)
        out += ",\"current_agent\":" + JSONText.quote(currentAgent)
        out += ",\"history\":["
        for (index, line) in history.enumerated() {
            if index > 0 { out += "," }
            out += "{"
            if let agent = line.agent { out += "\"agent\":" + JSONText.quote(agent) + "," }
            out += "\"role\":" + JSONText.quote(line.role) + ",\"text\":" + JSONText.quote(line.text) + "}"
        }
        out += "]"
        if let inheritedLines { out += ",\"inherited_lines\":\(inheritedLines)" }
        if let owner { out += ",\"owner\":" + owner.jsonText() }
        out += ",\"previous_sessions\":" + Self.array(previousSessions)
        out += ",\"session_id\":" + JSONText.quote(sessionID)
        out += ",\"started_at\":" + JSONText.quote(startedAt)
        out += ",\"tenant\":" + JSONText.quote(tenant)
        out += ",\"tools_called\":" + Self.array(toolsCalled)
        if let traceParent { out += ",\"trace_parent\":" + JSONText.quote(traceParent) }
        out += ",\"turn_number\":\(turnNumber),\"updated_at\":" + JSONText.quote(updatedAt) + "}"
        return out
    }

    private static func array(_ strings: [String]) -> String {
        "[" + strings.map(JSONText.quote).joined(separator: ",") + "]"
    }

    public static func decode(_ text: String) throws -> ChatCheckpoint {
        try JSONDecoder().decode(ChatCheckpoint.self, from: Data(text.utf8))
    }
}

/// Where chat checkpoints live: Redis in production (`RedisChatCheckpoints`).
public protocol ChatCheckpointStore: Sendable {
    /// Replaces the session's checkpoint. Failures are logged, never block the conversation.
    func save(_ checkpoint: ChatCheckpoint)
    /// `save`, then `confirmed(true)` once the store holds it (false: not written). For a
    /// conversation about to leave this host (a drain's hand-over), which must not go on
    /// elsewhere from an older checkpoint. Runs on the store's loop thread.
    func save(_ checkpoint: ChatCheckpoint, confirmed: @escaping @Sendable (Bool) -> Void)
    /// [thread-safe] `save` guarded against a host that lost the conversation (docs/protocol.md
    /// §6): not written when another host than `owner` holds its owner lease (nil: no leases are
    /// held, that check is skipped) or the stored checkpoint is of a later turn. `outcome` runs on
    /// the store's loop thread.
    func save(_ checkpoint: ChatCheckpoint, owner: ChatOwner?, outcome: @escaping @Sendable (ChatCheckpointWrite) -> Void)
    /// The checkpoint of `sessionID`, nil when there is none (or Redis did not answer in time).
    func load(tenant: String, sessionID: String, completion: @escaping @Sendable (ChatCheckpoint?) -> Void)
    /// The session ended (its record is saved): nobody may continue it any more.
    func remove(tenant: String, sessionID: String)
}

/// What a guarded checkpoint write did.
public enum ChatCheckpointWrite: Sendable, Equatable {
    case stored
    /// Another host holds the conversation's owner lease: it serves the conversation now, and this
    /// writer's copy is stale (it hung or was cut off longer than the lease's TTL).
    case ownedElsewhere
    /// The stored checkpoint is of a later turn: a host that continued the conversation wrote it.
    case newer
    /// The conversation ended (its lease key holds the ended marker, docs/protocol.md §7): a host
    /// that continued it ended it, and this writer's copy is stale.
    case ended
    /// Not written (Redis refused or did not answer): why.
    case failed(String)
}

/// Checkpoints as one guarded `EVAL` (a compare-and-set `SET … EX`) per turn through the session
/// store's connection.
///
/// Why not through the write-ahead journal the records use: a checkpoint is replaced at every
/// turn and is worth something only while the conversation lives; journaling it would put an
/// fsync on every chat turn for state whose loss costs one thing only — while Redis is down a
/// conversation cannot move to another host (it goes on where it is). The record written when the
/// session ends does go through the journal, so no finished conversation is lost.
public final class RedisChatCheckpoints: ChatCheckpointStore {
    let connection: RedisConnection
    /// How long a checkpoint outlives its last turn (the session idle timeout).
    let ttlSeconds: Int
    private let logger: Logger

    public init(connection: RedisConnection, ttlSeconds: Int, logger: Logger = .shared) {
        self.connection = connection
        self.ttlSeconds = max(1, ttlSeconds)
        self.logger = logger
    }

    /// KEYS: checkpoint, owner lease; ARGV: checkpoint JSON, TTL s, the writer's lease ("" none),
    /// its turn. `stored`, `owned` (another host's lease), `ended` (the lease key holds the ended
    /// marker, `ChatOwner.endedText`) or `newer` (a later turn is stored).
    ///
    /// The stored turn is read with a pattern, not `cjson.decode`: decoding the whole checkpoint
    /// (history, earlier sessions: kilobytes) on every turn would cost Redis's one thread far more.
    /// Only the top-level key matches `"turn_number":`: the checkpoint is compact JSON, and the same
    /// text inside a string (agent states, history) is escaped (`\"turn_number\":`).
    ///
    /// Why a script and not WATCH/MULTI: hiredis's async connection here is shared by every
    /// conversation of the host (and the records), so a WATCH of one would be undone by another's
    /// commands between it and EXEC; a script is one atomic step on a shared connection.
    static let saveScript = """
    if ARGV[3] ~= '' then
      local owner = redis.call('GET', KEYS[2])
      if owner and string.sub(owner, 1, 12) == '{"ended_at":' then return 'ended' end
      if owner and owner ~= ARGV[3] then return 'owned' end
    end
    local stored = redis.call('GET', KEYS[1])
    if stored then
      local turn = tonumber(string.match(stored, '"turn_number":(%d+)'))
      if turn and turn > tonumber(ARGV[4]) then return 'newer' end
    end
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
    return 'stored'
    """

    public func save(_ checkpoint: ChatCheckpoint) {
        save(checkpoint) { _ in }
    }

    public func save(_ checkpoint: ChatCheckpoint, confirmed: @escaping @Sendable (Bool) -> Void) {
        save(checkpoint, owner: nil) { confirmed($0 == .stored) }
    }

    public func save(_ checkpoint: ChatCheckpoint, owner: ChatOwner?, outcome: @escaping @Sendable (ChatCheckpointWrite) -> Void) {
        guard let json = try? checkpoint.jsonText() else { return outcome(.failed("the checkpoint could not be encoded")) }
        let key = ChatCheckpoint.key(tenant: checkpoint.tenant, sessionID: checkpoint.sessionID)
        let lease = ChatOwner.key(tenant: checkpoint.tenant, sessionID: checkpoint.sessionID)
        connection.send(["EVAL", Self.saveScript, "2", key, lease, json, String(ttlSeconds), owner?.jsonText() ?? "",
                         String(checkpoint.turnNumber)]) { [logger] result in
            switch result {
            case .success(.string("stored")), .success(.status("stored")): outcome(.stored)
            case .success(.string("owned")), .success(.status("owned")):
                logger.log(.warning, "sessions", "checkpoint \(key) not written: another host holds the conversation's owner lease")
                outcome(.ownedElsewhere)
            case .success(.string("ended")), .success(.status("ended")):
                logger.log(.warning, "sessions", "checkpoint \(key) not written: the conversation ended on another host")
                outcome(.ended)
            case .success(.string("newer")), .success(.status("newer")):
                logger.log(.warning, "sessions", "checkpoint \(key) not written: a later turn (by another host) is stored")
                outcome(.newer)
            case .success(.error(let message)):
                logger.log(.warning, "sessions", "checkpoint \(key) refused: \(message)")
                outcome(.failed(message))
            case .success(let other): outcome(.failed("unexpected reply \(other)"))
            case .failure(let error):
                logger.log(.debug, "sessions", "checkpoint \(key) not written: \(error)")
                outcome(.failed("\(error)"))
            }
        }
    }

    public func load(tenant: String, sessionID: String, completion: @escaping @Sendable (ChatCheckpoint?) -> Void) {
        let key = ChatCheckpoint.key(tenant: tenant, sessionID: sessionID)
        connection.send(["GET", key]) { [logger] result in
            guard case .success(.string(let json)) = result else { return completion(nil) }
            do { completion(try ChatCheckpoint.decode(json)) } catch {
                logger.log(.warning, "sessions", "checkpoint \(key) unreadable: \(error)")
                completion(nil)
            }
        }
    }

    public func remove(tenant: String, sessionID: String) {
        connection.send(["DEL", ChatCheckpoint.key(tenant: tenant, sessionID: sessionID)]) { _ in }
    }
}
