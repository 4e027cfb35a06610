import HostModels
import HostOrchestration

/// What the Realtime model is told for one agent: its instructions, its allowed tools' schemas,
/// the tenant's escalation tool, and a `transfer_to_<agent>` function per other agent (the same
/// names the Chat Completions brain uses, `ModelBrain.transferName`).
struct RealtimeAgentBrief: Sendable {
    let instructions: String
    let tools: [RealtimeTool]
    /// `transfer_to_…` function name → target agent id.
    let transfers: [String: String]
    /// Tool plugins this agent may run (function name).
    let runnable: Set<String>

    static let escalationTool = "escalate_to_human"

    init(agent: TenantRuntime.Agent, tenant: TenantRuntime) {
        let descriptor = agent.instance.descriptor
        instructions = descriptor.agent?.instructions ?? descriptor.description ?? "You are \(agent.name)."
        var runnable = agent.allowedTools
        if tenant.tools[Self.escalationTool] != nil { runnable.insert(Self.escalationTool) }   // every agent may escalate
        var tools = runnable.sorted().compactMap { name -> RealtimeTool? in
            guard let instance = tenant.tools[name], let tool = instance.descriptor.tool else { return nil }
            return RealtimeTool(name: tool.name, description: instance.descriptor.description ?? tool.name, parametersJSON: tool.parametersSchema)
        }
        var transfers: [String: String] = [:]
        for target in tenant.agents.values.sorted(by: { $0.name < $1.name }) where target.id != agent.id {
            let name = ModelBrain.transferName(target.name)
            transfers[name] = target.id
            let description = "Handoff to the \(target.name) to handle the request. \(target.instance.descriptor.agent?.handoffDescription ?? "")"
            tools.append(RealtimeTool(name: name, description: description, parametersJSON: ModelBrain.transferParameters))
        }
        self.tools = tools
        self.transfers = transfers
        self.runnable = runnable
    }
}
