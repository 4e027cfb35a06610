// Sample components written with the SDK: one of each shape an author can write. The tests
// drive them through the real ABI and the ABI benchmark measures them.
import AgentHostSDK

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([EchoTool.self, QuoteTool.self, DelayTool.self, RelayAgent.self])
}

/// Synchronous, raw JSON in and out: the cheapest call the ABI allows.
struct EchoTool: SynchronousTool {
    static let id = "com.agenthost.samples.echo"
    static let displayName = "Echo"
    static let version = "1.0.0"
    static let description = "Returns its arguments unchanged."
    typealias Arguments = RawJSONArguments
    static let name = "echo"
    static let parameters: JSONValue = ["type": "object", "properties": [:], "additionalProperties": true]

    init(host: PluginHost, settings: PluginSettings) {}

    func callSynchronously(_ arguments: RawJSONArguments, context: ToolCallContext) throws -> String {
        arguments.json
    }
}

/// Synchronous with Codable arguments: a price quote for an item.
struct QuoteTool: SynchronousTool {
    static let id = "com.agenthost.samples.quote"
    static let displayName = "Price Quote"
    static let version = "1.0.0"
    static let description = "Quotes the price of a quantity of one catalogue item, with the tenant's currency."
    static let name = "quote_price"

    struct Arguments: Decodable, Sendable, DescribedArguments {
        let sku: String
        let quantity: Int
        static let argumentDetails: [String: JSONValue] = [
            "sku": ["description": "Catalogue item id, e.g. MUG-01"],
            "quantity": ["minimum": 1],
        ]
    }

    struct Quote: Encodable {
        let sku: String
        let quantity: Int
        let unit_price: Double
        let total: Double
        let currency: String
    }

    static let prices = ["MUG-01": 12.5, "DESK-02": 349.0, "PACK-03": 89.99]
    let currency: String

    init(host: PluginHost, settings: PluginSettings) {
        currency = settings.string("currency", default: "USD")
    }

    func callSynchronously(_ arguments: Arguments, context: ToolCallContext) throws -> String {
        guard arguments.quantity >= 1 else { throw PluginError.invalidArgument("quantity must be at least 1") }
        guard let price = Self.prices[arguments.sku] else { throw PluginError.notFound("no item \(arguments.sku) in the catalogue") }
        let total = (price * Double(arguments.quantity) * 100).rounded() / 100
        return try ToolOutput.json(Quote(sku: arguments.sku, quantity: arguments.quantity, unit_price: price, total: total, currency: currency))
    }
}

/// Asynchronous: waits on the host's timer extension, then answers. Needs "agent_host.timer/1".
struct DelayTool: Tool {
    static let id = "com.agenthost.samples.delay"
    static let displayName = "Delay"
    static let version = "1.0.0"
    static let description = "Answers after the given number of milliseconds (for testing asynchronous completion)."
    static let requiredExtensions = ["agent_host.timer/1"]
    static let name = "delay"
    struct Arguments: Decodable, Sendable { let milliseconds: UInt64 }

    let host: PluginHost

    init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
    }

    func call(_ arguments: Arguments, context: ToolCallContext) async throws -> String {
        guard let timers = host.timers else { throw PluginError.notPermitted("timers are not granted to this tenant") }
        try await timers.sleep(milliseconds: arguments.milliseconds)
        return "waited \(arguments.milliseconds) ms"
    }
}

/// An agent that exercises every action: "tool NAME JSON" calls a tool and reads its result
/// back, "handoff ID" hands off, "escalate" escalates, "bye" ends; anything else is echoed.
/// It counts its turns in scratch state.
struct RelayAgent: Agent {
    static let id = "com.agenthost.samples.relay"
    static let displayName = "Relay Agent"
    static let version = "1.0.0"
    static let description = "Relays tool results and actions; a sample of the agent interface."
    static let profile = AgentProfile(
        handoffDescription: "Testing the plugin interface: echoes, tool relays, handoffs.",
        examples: ["relay this please", "call a tool for me", "echo what i say"],
        instructions: "Repeat what the caller says, or run the tool they name.",
        tools: ["echo", "quote_price", "delay"])

    init(host: PluginHost, settings: PluginSettings) {}

    func respond(to turn: Turn, with actions: AgentActions) async throws {
        let count = (turn.state?["turns"]?.numberValue ?? 0) + 1
        actions.setState(["turns": .number(count)])
        let words = turn.input.split(separator: " ", maxSplits: 2).map(String.init)
        switch words.first {
        case "tool" where words.count >= 2:
            let arguments = words.count > 2 ? try JSONValue.parse(words[2]) : [:]
            let result = await actions.callTool(words[1], arguments: arguments)
            actions.say(result.ok ? "Result: \(result.output)" : "That failed: \(result.output)")
        case "handoff" where words.count >= 2:
            actions.say("Passing you on.")
            actions.handoff(to: words[1], reason: "caller asked")
        case "escalate":
            actions.escalate(department: "general", reason: "caller asked for a person")
        case "bye":
            actions.say("Goodbye.")
            actions.endSession(reason: "resolved")
        case "fail":
            throw PluginError.unavailable("the relay's backend is down")
        default:
            actions.say("Turn \(Int(count)): \(turn.input)")
        }
    }
}
