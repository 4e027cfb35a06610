import Foundation
import HostSupport

/// The session record of docs/protocol.md §4: the value under `support:session:{tenant}:{caller}`.
///
/// ```json
/// {"tenant": "acme", "caller": "+15551234567", "updated_at": "2025-01-01T12:00:00.000Z",
///  "interactions": [{"session_id": "…", "started_at": "…", "ended_at": "…",
///                    "agents": ["Triage Agent"], "tools": ["lookup_order"], "outcome": "resolved",
///                    "transcript": [{"role": "user", "text": "hi"},
///                                   {"role": "agent", "agent": "Triage Agent", "text": "Hello!"}]}]}
/// ```
///
/// Times are ISO-8601 UTC with milliseconds, fixed width, so they also sort as strings (the save
/// script orders interactions by `ended_at` without parsing dates).
public struct SessionRecord: Codable, Sendable, Equatable {
    public var tenant: String
    public var caller: String
    public var updatedAt: Date
    /// Oldest first; at most `SessionStore.keep` of them.
    public var interactions: [Interaction]

    public init(tenant: String, caller: String, updatedAt: Date, interactions: [Interaction]) {
        self.tenant = tenant
        self.caller = caller
        self.updatedAt = updatedAt
        self.interactions = interactions
    }

    /// The Redis key (docs/protocol.md §4), ids used verbatim as the protocol spells it.
    public static func key(tenant: String, caller: String) -> String {
        "support:session:\(tenant):\(caller)"
    }

    /// How a session ended (Conversation's end reasons). Kept a string so an older host can
    /// read a newer host's outcomes.
    public enum Outcome {
        public static let resolved = "resolved"
        public static let escalated = "escalated"
        /// A phone call moved to a person (docs/telephony.md).
        public static let transferred = "transferred"
        public static let callerHangup = "caller_hangup"
        public static let agentEnded = "agent_ended"
        public static let timeout = "timeout"
        public static let shutdown = "shutdown"
        /// A voice call whose host died mid-call, recorded from its last checkpoint when the caller
        /// called back (docs/protocol.md §8).
        public static let hostLost = "host_lost"
        public static let error = "error"
    }

    /// One finished session.
    public struct Interaction: Codable, Sendable, Equatable {
        public var sessionID: String
        public var startedAt: Date
        public var endedAt: Date
        /// Display names, in visiting order.
        public var agents: [String]
        /// Tool names, in call order.
        public var tools: [String]
        public var outcome: String
        public var transcript: [Line]
        /// The call's recording (`<session id>.wav`, served by GET /v1/sessions/{id}/recording); nil: none.
        public var recording: String?

        public init(sessionID: String, startedAt: Date, endedAt: Date, agents: [String], tools: [String],
                    outcome: String, transcript: [Line]) {
            self.sessionID = sessionID
            self.startedAt = startedAt
            self.endedAt = endedAt
            self.agents = agents
            self.tools = tools
            self.outcome = outcome
            self.transcript = transcript
        }

        enum CodingKeys: String, CodingKey {
            case sessionID = "session_id", startedAt = "started_at", endedAt = "ended_at"
            case agents, tools, outcome, transcript, recording
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sessionID = try c.decode(String.self, forKey: .sessionID)
            startedAt = try SessionRecord.decodeTime(c, .startedAt)
            endedAt = try SessionRecord.decodeTime(c, .endedAt)
            // Lenient about lists: a record written by another tool may omit them.
            agents = try c.decodeIfPresent([String].self, forKey: .agents) ?? []
            tools = try c.decodeIfPresent([String].self, forKey: .tools) ?? []
            outcome = try c.decodeIfPresent(String.self, forKey: .outcome) ?? ""
            transcript = try c.decodeIfPresent([Line].self, forKey: .transcript) ?? []
            recording = try c.decodeIfPresent(String.self, forKey: .recording)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sessionID, forKey: .sessionID)
            try c.encode(SessionRecord.timeText(startedAt), forKey: .startedAt)
            try c.encode(SessionRecord.timeText(endedAt), forKey: .endedAt)
            try c.encode(agents, forKey: .agents)
            try c.encode(tools, forKey: .tools)
            try c.encode(outcome, forKey: .outcome)
            try c.encode(transcript, forKey: .transcript)
            try c.encodeIfPresent(recording, forKey: .recording)
        }

        /// The interaction as one line of JSON (what the save script and the journal take): the
        /// members `encode(to:)` writes, in its order, written directly — JSONEncoder was ~3 % of
        /// the host's CPU per chat turn (docs/benchmarks.md, "CPU per chat turn"). `decode` and
        /// the save script read both spellings (JSONEncoder also escaped `/` as `\/`).
        public func jsonText() throws -> String {
            let q = JSONText.quote
            var out = "{\"session_id\":" + q(sessionID)
            out += ",\"started_at\":" + q(SessionRecord.timeText(startedAt))
            out += ",\"ended_at\":" + q(SessionRecord.timeText(endedAt))
            out += ",\"agents\":[" + agents.map(q).joined(separator: ",") + "]"
            out += ",\"tools\":[" + tools.map(q).joined(separator: ",") + "]"
            out += ",\"outcome\":" + q(outcome)
            out += ",\"transcript\":["
            for (index, line) in transcript.enumerated() {
                if index > 0 { out += "," }
                out += "{\"role\":" + q(line.role)
                if let agent = line.agent { out += ",\"agent\":" + q(agent) }
                out += ",\"text\":" + q(line.text) + "}"
            }
            out += "]"
            if let recording { out += ",\"recording\":" + q(recording) }
            return out + "}"
        }
    }

    /// One transcript line: `{"role":"user"|"agent","agent"?,"text"}`.
    public struct Line: Codable, Sendable, Equatable {
        public var role: String
        public var agent: String?
        public var text: String

        public init(role: String, agent: String? = nil, text: String) {
            self.role = role
            self.agent = agent
            self.text = text
        }
    }

    enum CodingKeys: String, CodingKey {
        case tenant, caller, updatedAt = "updated_at", interactions
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenant = try c.decodeIfPresent(String.self, forKey: .tenant) ?? ""
        caller = try c.decodeIfPresent(String.self, forKey: .caller) ?? ""
        updatedAt = (try? SessionRecord.decodeTime(c, .updatedAt)) ?? Date(timeIntervalSince1970: 0)
        interactions = try c.decodeIfPresent([Interaction].self, forKey: .interactions) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(caller, forKey: .caller)
        try c.encode(SessionRecord.timeText(updatedAt), forKey: .updatedAt)
        try c.encode(interactions, forKey: .interactions)
    }

    /// Decodes a stored record.
    public static func decode(_ json: String) throws -> SessionRecord {
        try JSONDecoder().decode(SessionRecord.self, from: Data(json.utf8))
    }

    // MARK: time text

    /// `2025-01-01T12:00:00.123Z`: UTC, milliseconds, fixed width.
    public static func timeText(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    /// Accepts times with or without fractional seconds.
    public static func parseTime(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    static func decodeTime<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> Date {
        let text = try c.decode(String.self, forKey: key)
        guard let date = parseTime(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not an ISO-8601 time: \(text)")
        }
        return date
    }
}
