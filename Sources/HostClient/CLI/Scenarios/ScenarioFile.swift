import Foundation
import HostSupport
import HostTenancy
import Yams

/// A file of scripted conversations for `agent-host eval scenarios` (docs/evals.md has the format).
/// Each scenario is one fresh session; each turn is a line the caller types (or, with `--voice`,
/// says) and what must be true once the agent's reply is in.
public struct ScenarioFile: Sendable {
    public let path: String
    public let scenarios: [Scenario]
}

public struct Scenario: Sendable {
    public let name: String
    /// The caller's number; nil: a fresh one per run (so no stored record makes it "returning").
    public let caller: String?
    public let turns: [ScenarioTurn]
}

public struct ScenarioTurn: Sendable {
    /// What the caller types.
    public let say: String
    /// What the caller says with `--voice` (digits spelled out for the recogniser); `say` if nil.
    public let speak: String?
    public let expect: TurnExpectation

    public var spoken: String { speak ?? say }
}

/// What must hold for one turn's events. Every field is optional; an empty expectation only
/// checks that the turn finished.
public struct TurnExpectation: Sendable {
    /// The agent the caller is with at the end of the turn (`Billing Agent`, or `billing`).
    public var agent: String?
    /// A `handoff` to this agent happened in the turn.
    public var handoff: String?
    /// Tools called in the turn, each with at least these arguments.
    public var tools: [ToolExpectation] = []
    /// Tools that must not be called in the turn.
    public var toolsNotCalled: [String] = []
    /// true: the caller was queued for a person in this turn; false: was not.
    public var escalated: Bool?
    /// The department of the escalation (implies `escalated: true`).
    public var escalatedTo: String?
    /// Every one of these appears in the agents' reply (case-insensitive).
    public var replyContains: [String] = []
    /// None of these appears in the agents' reply (case-insensitive).
    public var replyNotContains: [String] = []
    /// The session ended in this turn with this reason (`escalated`, `agent_ended`).
    public var ended: String?
    /// The turn's latency budget on the channel being run (docs/evals.md says what is measured on
    /// each); `latency_ms: N` sets both, `latency_ms: {text: N, voice: M}` each.
    public var latencyMilliseconds: Int?
    public var textLatencyMilliseconds: Int?
    public var voiceLatencyMilliseconds: Int?

    /// This expectation with the budget of the channel that runs it.
    public func on(voice: Bool) -> TurnExpectation {
        var out = self
        out.latencyMilliseconds = voice ? voiceLatencyMilliseconds : textLatencyMilliseconds
        return out
    }
}

public struct ToolExpectation: Sendable {
    public let name: String
    /// A JSON object the call's arguments must contain (subset match); "{}" for any arguments.
    public let argumentsJSON: String
}

/// A scenario file that cannot be used, with its place: `billing.yaml:12:9: …` (exit code 2).
public typealias ScenarioFileError = ConfigurationError

extension ScenarioFile {
    static let fileKeys = ["name", "scenarios"]
    static let scenarioKeys = ["name", "caller", "turns"]
    static let turnKeys = ["say", "speak", "expect"]
    static let expectKeys = ["agent", "handoff", "tool", "tools", "tools_not_called", "escalated", "escalated_to",
                             "reply_contains", "reply_not_contains", "ended", "latency_ms"]

    public static func load(path: String) throws(ScenarioFileError) -> ScenarioFile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ScenarioFileError(file: path, at: nil, "cannot read the scenario file: \(error.localizedDescription)")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(ScenarioFileError) -> ScenarioFile {
        let reader = ScenarioReader(file: path)
        guard let root = try ConfigurationReader(file: path, environment: [:]).compose(text) else {
            throw ScenarioFileError(file: path, at: nil, "the file is empty: it needs a scenarios: list (docs/evals.md)")
        }
        let top = try reader.mapping(root, allowed: fileKeys, what: "the file")
        guard let list = top["scenarios"], let items = list.sequence, !items.isEmpty else {
            throw reader.error(top["scenarios"] ?? root, "the file needs a non-empty scenarios: list (docs/evals.md)")
        }
        var scenarios: [Scenario] = []
        for item in items {
            let scenario = try reader.scenario(item)
            if scenarios.contains(where: { $0.name == scenario.name }) {
                throw reader.error(item, "two scenarios are named \"\(scenario.name)\": names identify them in reports")
            }
            scenarios.append(scenario)
        }
        return ScenarioFile(path: path, scenarios: scenarios)
    }
}

/// Yams nodes to scenario values; every failure names its place in the file.
private struct ScenarioReader {
    let file: String

    func error(_ node: Node?, _ message: String) -> ScenarioFileError {
        ScenarioFileError(file: file, at: ConfigurationReader.location(of: node), message)
    }

    func mapping(_ node: Node, allowed: [String], what: String) throws(ScenarioFileError) -> [String: Node] {
        guard let mapping = node.mapping else { throw error(node, "\(what) must be a mapping") }
        var out: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string, allowed.contains(name) else {
                throw error(key, "unknown key \"\(key.string ?? "?")\" in \(what) (allowed: \(allowed.joined(separator: ", ")))")
            }
            out[name] = value
        }
        return out
    }

    func string(_ node: Node?, _ what: String) throws(ScenarioFileError) -> String? {
        guard let node else { return nil }
        guard let scalar = node.scalar, ConfigurationReader.tagName(node) != ConfigurationReader.nullTag else { throw error(node, "\(what) must be text") }
        return scalar.string
    }

    /// A string, or a list of strings.
    func strings(_ node: Node?, _ what: String) throws(ScenarioFileError) -> [String] {
        guard let node else { return [] }
        guard let items = node.sequence else { return [try string(node, what)!] }
        var out: [String] = []
        for item in items { out.append(try string(item, what)!) }
        return out
    }

    func scenario(_ node: Node) throws(ScenarioFileError) -> Scenario {
        let fields = try mapping(node, allowed: ScenarioFile.scenarioKeys, what: "a scenario")
        guard let name = try string(fields["name"], "name"), !name.isEmpty else { throw error(node, "a scenario needs a name") }
        let what = "scenario \"\(name)\""
        guard let list = fields["turns"], let items = list.sequence, !items.isEmpty else {
            throw error(fields["turns"] ?? node, "\(what) needs a non-empty turns: list")
        }
        var turns: [ScenarioTurn] = []
        for (index, item) in items.enumerated() {
            turns.append(try turn(item, what: "\(what) turn \(index + 1)"))
        }
        return Scenario(name: name, caller: try string(fields["caller"], "caller"), turns: turns)
    }

    func turn(_ node: Node, what: String) throws(ScenarioFileError) -> ScenarioTurn {
        let fields = try mapping(node, allowed: ScenarioFile.turnKeys, what: what)
        guard let say = try string(fields["say"], "say"), !say.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw error(node, "\(what) needs say: (the caller's line)")
        }
        var expect = TurnExpectation()
        if let node = fields["expect"] { expect = try expectation(node, what: "\(what) expect") }
        return ScenarioTurn(say: say, speak: try string(fields["speak"], "speak"), expect: expect)
    }

    func expectation(_ node: Node, what: String) throws(ScenarioFileError) -> TurnExpectation {
        let fields = try mapping(node, allowed: ScenarioFile.expectKeys, what: what)
        var expect = TurnExpectation()
        expect.agent = try string(fields["agent"], "agent")
        expect.handoff = try string(fields["handoff"], "handoff")
        if let single = fields["tool"] { expect.tools.append(try tool(single)) }
        if let list = fields["tools"] {
            guard let items = list.sequence else { throw error(list, "tools must be a list") }
            for item in items { expect.tools.append(try tool(item)) }
        }
        expect.toolsNotCalled = try strings(fields["tools_not_called"], "tools_not_called")
        if let flag = fields["escalated"] {
            guard ConfigurationReader.tagName(flag) == ConfigurationReader.boolTag, let value = flag.bool else { throw error(flag, "escalated must be true or false") }
            expect.escalated = value
        }
        expect.escalatedTo = try string(fields["escalated_to"], "escalated_to")
        if expect.escalatedTo != nil, expect.escalated == false { throw error(node, "escalated: false contradicts escalated_to") }
        expect.replyContains = try strings(fields["reply_contains"], "reply_contains")
        expect.replyNotContains = try strings(fields["reply_not_contains"], "reply_not_contains")
        expect.ended = try string(fields["ended"], "ended")
        if let budget = fields["latency_ms"] {
            if budget.mapping != nil {
                let channels = try mapping(budget, allowed: ["text", "voice"], what: "latency_ms")
                expect.textLatencyMilliseconds = try milliseconds(channels["text"])
                expect.voiceLatencyMilliseconds = try milliseconds(channels["voice"])
            } else {
                expect.textLatencyMilliseconds = try milliseconds(budget)
                expect.voiceLatencyMilliseconds = expect.textLatencyMilliseconds
            }
        }
        return expect
    }

    func milliseconds(_ node: Node?) throws(ScenarioFileError) -> Int? {
        guard let node else { return nil }
        guard ConfigurationReader.tagName(node) == ConfigurationReader.intTag, let value = node.int, value > 0 else {
            throw error(node, "latency_ms must be a positive whole number of milliseconds, or {text: N, voice: N}")
        }
        return value
    }

    /// `lookup_order` or `{name: lookup_order, arguments: {order_id: ORD-12345}}`.
    func tool(_ node: Node) throws(ScenarioFileError) -> ToolExpectation {
        if node.scalar != nil { return ToolExpectation(name: try string(node, "tool")!, argumentsJSON: "{}") }
        let fields = try mapping(node, allowed: ["name", "arguments"], what: "a tool expectation")
        guard let name = try string(fields["name"], "tool name") else { throw error(node, "a tool expectation needs name:") }
        guard let arguments = fields["arguments"] else { return ToolExpectation(name: name, argumentsJSON: "{}") }
        guard arguments.mapping != nil else { throw error(arguments, "arguments must be a mapping (the subset of the call's arguments to match)") }
        return ToolExpectation(name: name, argumentsJSON: json(arguments))
    }

    /// A node as JSON text, scalars typed by their resolved YAML tags.
    func json(_ node: Node) -> String {
        switch node {
        case .mapping(let mapping):
            return JSONText.object(mapping.map { ($0.key.string ?? "", json($0.value)) })
        case .sequence(let sequence):
            return "[" + sequence.map(json).joined(separator: ",") + "]"
        case .scalar(let scalar):
            switch ConfigurationReader.tagName(node) {
            case ConfigurationReader.nullTag: return "null"
            case ConfigurationReader.boolTag: return node.bool == true ? "true" : "false"
            case ConfigurationReader.intTag, ConfigurationReader.floatTag: return scalar.string
            default: return JSONText.quote(scalar.string)
            }
        }
    }
}
