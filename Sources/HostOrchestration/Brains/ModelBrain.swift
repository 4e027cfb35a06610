import HostModels
import HostNet
import HostPlugins

/// A tenant's model-backed brain (docs/models.md): one OpenAI-compatible endpoint and, per
/// agent, what the model is offered — the agent's instructions, its tools' JSON schemas, and
/// every other agent as a `transfer_to_<name>` function (the way the OpenAI Agents SDK models
/// handoffs). Immutable after creation; steps run in `ModelStep`.
public final class ModelBrain: Sendable {
    struct Brief: Sendable {
        let instructions: String
        /// The `tools` array of the request, rendered once.
        let toolsJSON: String
        /// `transfer_to_…` function name → target agent id.
        let transfers: [String: String]
    }

    package static let escalationTool = "escalate_to_human"

    public let client: ChatCompletionsClient
    /// Rests the provider after repeated failures (ModelCircuit).
    public let circuit = ModelCircuit()
    let tenantID: String
    let briefs: [String: Brief]

    init(endpoint: ChatCompletionsEndpoint, http: HTTPClient, tenantID: String,
         agents: [String: TenantRuntime.Agent], tools: [String: any ComponentInstance]) {
        client = ChatCompletionsClient(endpoint: endpoint, http: http)
        self.tenantID = tenantID
        var briefs: [String: Brief] = [:]
        for agent in agents.values {
            var offered = agent.allowedTools.sorted().compactMap { Self.chatTool(tools[$0]) }
            // Every offline agent may escalate (the agent_escalate action); for a model that is this tool.
            if !agent.allowedTools.contains(Self.escalationTool), let escalation = Self.chatTool(tools[Self.escalationTool]) {
                offered.append(escalation)
            }
            var transfers: [String: String] = [:]
            for target in agents.values.sorted(by: { $0.name < $1.name }) where target.id != agent.id {
                let name = Self.transferName(target.name)
                transfers[name] = target.id
                let description = "Handoff to the \(target.name) to handle the request. \(target.instance.descriptor.agent?.handoffDescription ?? "")"
                offered.append(ChatTool(name: name, description: description, parametersJSON: Self.transferParameters))
            }
            let instructions = agent.instance.descriptor.agent?.instructions ?? agent.instance.descriptor.description ?? "You are \(agent.name)."
            briefs[agent.id] = Brief(instructions: instructions, toolsJSON: ChatRequestBuilder.toolsJSON(offered), transfers: transfers)
        }
        self.briefs = briefs
    }

    /// The transfer functions take an optional reason (shown in the `handoff` event).
    package static let transferParameters =
        #"{"type":"object","properties":{"reason":{"type":"string","description":"Why the caller is transferred, in a few words"}},"additionalProperties":false}"#

    /// `Refund Agent` → `transfer_to_refund_agent` (lowercase, runs of other characters → `_`).
    package static func transferName(_ agentName: String) -> String {
        var out = ""
        for scalar in agentName.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, !out.hasSuffix("_") {
                out += "_"
            }
        }
        while out.hasSuffix("_") { out.removeLast() }
        return String(("transfer_to_" + out).prefix(64))
    }

    private static func chatTool(_ instance: (any ComponentInstance)?) -> ChatTool? {
        guard let instance, let tool = instance.descriptor.tool else { return nil }
        return ChatTool(name: tool.name, description: instance.descriptor.description ?? tool.name, parametersJSON: tool.parametersSchema)
    }
}

extension ModelBrain {
    /// The tenant's brain when it configured a model and the host has an HTTP client (a loop).
    static func make(configuration: TenantConfiguration, agents: [String: TenantRuntime.Agent],
                     tools: [String: any ComponentInstance], services: HostServices) -> ModelBrain? {
        guard let endpoint = configuration.model else { return nil }
        guard let http = services.http else {
            services.logger.log(.warning, "tenant \(configuration.id)", "model \(endpoint.model) at \(endpoint.providerName) not used: this host runs no event loop for HTTP; the offline brain answers")
            return nil
        }
        services.metrics.describe("agent_host_model_fallbacks_total", type: "counter",
                                  help: "Model turns finished by the offline brain because the provider failed, by tenant and reason")
        services.logger.log(.info, "tenant \(configuration.id)", "model brain: \(endpoint.model) at \(endpoint.providerName)")
        return ModelBrain(endpoint: endpoint, http: http, tenantID: configuration.id, agents: agents, tools: tools)
    }
}
