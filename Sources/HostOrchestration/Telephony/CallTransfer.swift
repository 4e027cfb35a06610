import Foundation
import HostNet

/// A phone call's escalation to a person (docs/telephony.md): the agent's escalation (the
/// backend ticket) is followed by a live transfer when the call's channel can transfer and the
/// tenant names where the department's people answer.
package struct TransferRequest: Sendable {
    package let department: String
    /// E.164 number or SIP URI (`TenantTelephony.transfer`).
    package let target: String
    /// What the person hears before the caller is bridged (redacted: it leaves the host).
    package let summary: String
}

extension Conversation {
    /// What the person taking the call hears first, and what the backend's ticket keeps: who
    /// calls, what they need, what the agents already did. Redacted with the tenant's kinds.
    func handoverSummary(department: String, reason: String?) -> String {
        let redaction = tenant.configuration.telephony.redaction
        var parts = ["Caller \(caller) for the \(department) team."]
        if let reason, !reason.isEmpty { parts.append("Reason: \(reason.hasSuffix(".") ? reason : reason + ".")") }
        if let first = history.first(where: { $0.role == "user" && !$0.text.isEmpty }) {
            parts.append("They said: \(first.text.hasSuffix(".") ? first.text : first.text + ".")")
        }
        let tools = toolsCalled.filter { $0 != "escalate_to_human" }
        let visited = agentsVisited.joined(separator: ", ")
        if tools.isEmpty {
            parts.append("Agents so far: \(visited); no action was taken yet.")
        } else {
            var seen = Set<String>()
            let done = tools.filter { seen.insert($0).inserted }.map { $0.replacingOccurrences(of: "_", with: " ") }
            parts.append("Agents so far: \(visited); already done: \(done.joined(separator: ", ")).")
        }
        return redaction.apply(parts.joined(separator: " "))
    }

    /// The conversation so far as the backend keeps it: one "role: text" line each, redacted.
    func handoverTranscript() -> String {
        let redaction = tenant.configuration.telephony.redaction
        return history.map { "\($0.agent ?? "Caller"): \(redaction.apply($0.text))" }.joined(separator: "\n")
    }

    /// After the escalation ticket: when this call can transfer (`transferHandler`, set by the
    /// channel) and the tenant has a target for `department`, the caller is told, `transfer` is
    /// emitted and the channel moves the call once the words have played. False: queue as before.
    func transferToPerson(department: String, reason: String?, agent: TenantRuntime.Agent) -> Bool {
        guard let handler = transferHandler,
              let target = tenant.configuration.telephony.transferTarget(department: department) else { return false }
        let summary = handoverSummary(department: department, reason: reason)
        emit(.transfer(agent: agent.name, department: department, target: target))
        services.metrics.increment("agent_host_transfers_total", labels: ["tenant": tenant.id, "department": department])
        agentSaid(tenant.configuration.messages.transfer(department: department), agent: agent)
        handler(TransferRequest(department: department, target: target, summary: summary))
        return true
    }

    /// The same transfer for a Realtime call, whose model speaks for itself: `transfer` is emitted
    /// and the channel moves the call once the model's words have played. Returns what the model
    /// should tell the caller (the tenant's transfer message), nil when this call cannot transfer
    /// (then the caller stays queued, as before). Loop thread.
    package func transferSpokenByModel(department: String, reason: String?, agentName: String) -> String? {
        guard let handler = transferHandler,
              let target = tenant.configuration.telephony.transferTarget(department: department) else { return nil }
        let summary = handoverSummary(department: department, reason: reason)
        // After the `escalated` the call records (its events hop through the loop too).
        loop.execute { [self] in emit(.transfer(agent: agentName, department: department, target: target)) }
        services.metrics.increment("agent_host_transfers_total", labels: ["tenant": tenant.id, "department": department])
        handler(TransferRequest(department: department, target: target, summary: summary))
        return tenant.configuration.messages.transfer(department: department)
    }
}
