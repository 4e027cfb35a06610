import Foundation
import HostPlugins
import HostSupport

/// One tenant's plugins, instantiated: its agents by id, its tools by function name, and the
/// routing and tool material each agent's steps carry. Immutable after creation, so sessions on
/// any loop may read it.
public final class TenantRuntime: Sendable {
    public struct Agent: Sendable {
        public let instance: any ComponentInstance
        public var id: String { instance.descriptor.id }
        public var name: String { instance.descriptor.name }
        /// Function names this agent may call (its profile's tools that the tenant enabled).
        public let allowedTools: Set<String>
        /// The step context's static members, rendered once per tenant: the other agents as
        /// handoff targets (with their routing examples), the tools, the entry agent.
        package let staticContext: String
        /// `"catalog_version":"…"` alone: the context of an instance that fetches the catalog
        /// through agent_host.catalog.draft/0 (Conversation.contextJSON picks per step).
        let versionOnlyContext: String
        /// The instance's catalog channel (nil for instances without a host-side context).
        package let catalogChannel: CatalogChannel?
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let configuration: TenantConfiguration
    public let agents: [String: Agent]
    public let tools: [String: any ComponentInstance]
    public var id: String { configuration.id }
    public var entryAgent: Agent { agents[configuration.entryAgent]! }
    /// Components that could not be created for this tenant, with why (the rest still serve).
    public let problems: [String]
    /// Component id → version of every component instantiated (the `session` event's `plugins`).
    public let pluginVersions: [String: String]
    /// Component id → sha256 of the plugin file its instance came from.
    public let pluginFiles: [String: String]
    /// Components whose instance lives in a runner process.
    public let isolatedComponents: Set<String>
    /// The tenant's model-backed brain when it configured `model:`; nil = offline brain only.
    public let brain: ModelBrain?

    /// Creates the tenant's instances from loaded plugins. Throws when the entry agent cannot
    /// serve; other failures are collected in `problems` and logged.
    public init(configuration: TenantConfiguration, catalog: PluginCatalog, services: HostServices) throws(Problem) {
        self.configuration = configuration
        var problems: [String] = []
        var agentInstances: [any ComponentInstance] = []
        var tools: [String: any ComponentInstance] = [:]
        var files: [String: String] = [:]
        var isolated: Set<String> = []
        for componentID in configuration.plugins {
            guard let plugin = catalog.plugin(providing: componentID, version: configuration.versions[componentID]) else {
                problems.append("\(componentID): no loaded plugin provides it")
                continue
            }
            do {
                let instance = try Self.instantiate(componentID, from: plugin, configuration: configuration, services: services)
                files[componentID] = plugin.sha256
                if instance is IsolatedInstance { isolated.insert(componentID) }
                switch instance.descriptor.kind {
                case .agent?: agentInstances.append(instance)
                case .tool?:
                    let name = instance.descriptor.tool?.name ?? componentID
                    if let other = tools[name] {
                        problems.append("\(componentID): tool name \(name) already provided by \(other.descriptor.id)")
                    } else {
                        tools[name] = instance
                    }
                case nil: break
                }
            } catch {
                problems.append(error.message)
            }
        }
        for problem in problems {
            services.logger.log(.warning, "tenant \(configuration.id)", problem)
        }
        self.problems = problems
        self.tools = tools
        self.pluginFiles = files
        self.isolatedComponents = isolated
        self.pluginVersions = Dictionary((agentInstances + Array(tools.values)).map { ($0.descriptor.id, $0.descriptor.version ?? "") },
                                         uniquingKeysWith: { first, _ in first })
        let toolEntries: [String: [String: Any]] = tools.mapValues { instance in
            let schema = (try? JSONSerialization.jsonObject(with: Data((instance.descriptor.tool?.parametersSchema ?? "{}").utf8))) ?? [:]
            return ["name": instance.descriptor.tool?.name ?? "", "description": instance.descriptor.description ?? "", "parameters": schema]
        }
        var agents: [String: Agent] = [:]
        for instance in agentInstances {
            let targets: [[String: Any]] = agentInstances.filter { $0 !== instance }.map { other in
                ["id": other.descriptor.id, "name": other.descriptor.name,
                 "description": other.descriptor.agent?.handoffDescription ?? "", "examples": other.descriptor.agent?.examples ?? []]
            }
            let allowed = Set(instance.descriptor.agent?.toolNames ?? []).intersection(tools.keys)
            let toolList = allowed.sorted().compactMap { toolEntries[$0] }
            let entry = agentInstances.first { $0.descriptor.id == configuration.entryAgent }
            let entryJSON = entry.map { JSONText.render(["id": $0.descriptor.id, "name": $0.descriptor.name]) } ?? "null"
            // catalog_version comes first so a plugin can skip re-reading what it already cached.
            let catalog = "\"entry_agent\":\(entryJSON),\"handoff_targets\":\(JSONText.render(targets)),\"tools\":\(JSONText.render(toolList))"
            let version = "\"catalog_version\":\(JSONText.quote(Self.digest(catalog)))"
            let channel = (instance as? CatalogPublishing)?.catalogChannel
            channel?.publish(version: Self.digest(catalog), json: "{\(version),\(catalog)}")
            agents[instance.descriptor.id] = Agent(
                instance: instance, allowedTools: allowed,
                staticContext: "\(version),\(catalog)", versionOnlyContext: version, catalogChannel: channel)
        }
        guard let entry = agents[configuration.entryAgent] else {
            throw Problem(description: "tenant \(configuration.id): entry agent \(configuration.entryAgent) is not available (\(problems.joined(separator: "; ")))")
        }
        self.agents = agents
        _ = entry
        brain = ModelBrain.make(configuration: configuration, agents: agents, tools: tools, services: services)
    }

    /// FNV-1a of the catalog text: changes whenever targets, examples or tools change.
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        return String(hash, radix: 16)
    }

    public func agent(named name: String) -> Agent? {
        agents.values.first { $0.name == name }
    }
}
