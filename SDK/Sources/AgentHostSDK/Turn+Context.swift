import Synchronization

extension Turn {
    /// Builds a turn from the step context, reusing `catalog`'s decoded handoff targets and tools
    /// when the context's `catalog_version` says they did not change (they carry every enabled
    /// department's routing examples, so decoding them each step dominated the step's cost).
    init(contextBytes: UnsafeBufferPointer<UInt8>, catalog: CatalogCache) throws {
        let cached = catalog.current
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(contextBytes, skippingMembers: { key, before in
                guard key == "handoff_targets" || key == "tools", let cached,
                      let version = before["catalog_version"]?.stringValue else { return false }
                return version == cached.version
            })
        } catch {
            throw PluginError.invalidArgument("not valid JSON: \(error.message) at byte \(error.offset)")
        }
        guard case .object(let c) = parsed else { throw PluginError.invalidArgument("the step context is not an object") }
        guard let sessionID = c["session_id"]?.stringValue else { throw PluginError.invalidArgument("missing field 'session_id'") }
        let version = c["catalog_version"]?.stringValue
        let targets: [HandoffTarget]
        let tools: [ToolInfo]
        var entryAgent = c["entry_agent"].flatMap(AgentReference.init(json:))
        if let cached, let version, version == cached.version, c["handoff_targets"] == nil {
            (targets, tools) = (cached.targets, cached.tools)
            if c["entry_agent"] == nil { entryAgent = cached.entryAgent }
        } else if c["handoff_targets"] == nil, let version, let fetcher = catalog.fetcher, let fetched = try fetcher.fetch(version: version) {
            // Subscribed through agent_host.catalog.draft/0: the context carries only the version.
            (targets, tools, entryAgent) = (fetched.targets, fetched.tools, fetched.entryAgent)
            catalog.store(fetched)
        } else {
            targets = (c["handoff_targets"]?.arrayValue ?? []).compactMap(HandoffTarget.init(json:))
            tools = (c["tools"]?.arrayValue ?? []).compactMap(ToolInfo.init(json:))
            if let version { catalog.store(CatalogCache.Entry(version: version, targets: targets, tools: tools, entryAgent: entryAgent)) }
        }
        self.init(
            sessionID: sessionID,
            tenant: c["tenant"]?.stringValue ?? "",
            caller: Caller(id: c["caller"]?["id"]?.stringValue ?? "", returning: c["caller"]?["returning"]?.boolValue ?? false),
            turnNumber: Int(c["turn"]?.numberValue ?? 1),
            input: c["input"]?.stringValue ?? "",
            history: (c["history"]?.arrayValue ?? []).compactMap(Message.init(json:)),
            previousSessions: c["previous_sessions"]?.arrayValue ?? [],
            handoffTargets: targets,
            tools: tools,
            handedOffFrom: c["handed_off_from"].flatMap(HandoffOrigin.init(json:)),
            state: c["state"].flatMap { $0 == .null ? nil : $0 },
            entryAgent: entryAgent)
    }
}

extension Turn.Message {
    init?(json: JSONValue) {
        guard let role = json["role"]?.stringValue, let text = json["text"]?.stringValue else { return nil }
        self.init(role: role, agent: json["agent"]?.stringValue, text: text)
    }
}

extension Turn.HandoffTarget {
    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        self.init(id: id, name: json["name"]?.stringValue ?? id, description: json["description"]?.stringValue ?? "",
                  examples: (json["examples"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}

extension Turn.ToolInfo {
    init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue else { return nil }
        self.init(name: name, description: json["description"]?.stringValue ?? "", parameters: json["parameters"] ?? [:])
    }
}

extension Turn.HandoffOrigin {
    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        self.init(id: id, name: json["name"]?.stringValue ?? id, reason: json["reason"]?.stringValue)
    }
}

extension Turn.AgentReference {
    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        self.init(id: id, name: json["name"]?.stringValue ?? id)
    }
}

/// The last decoded handoff targets and tools of one agent instance, by catalog version.
final class CatalogCache: Sendable {
    struct Entry: Sendable {
        let version: String
        let targets: [Turn.HandoffTarget]
        let tools: [Turn.ToolInfo]
        let entryAgent: Turn.AgentReference?
    }

    private let entry = Mutex<Entry?>(nil)
    /// Set when the instance subscribed to agent_host.catalog.draft/0 (its contexts then carry
    /// only `catalog_version`); nil on hosts without the draft.
    let fetcher: CatalogFetcher?

    init(fetcher: CatalogFetcher? = nil) {
        self.fetcher = fetcher
    }

    var current: Entry? { entry.withLock { $0 } }

    func store(_ new: Entry) {
        entry.withLock { $0 = new }
    }
}
