import Foundation
import HostModels
import HostNet
import HostOrchestration
import HostPlugins
import HostSupport
import PluginABI

/// A voice call's brain in Realtime mode (speech-to-speech, issue #6): one `RealtimeSession` per
/// call, configured from the tenant's current agent, running function calls through the tenant's
/// tool plugins and handoffs by `session.update`. Loop-confined: create, feed and close it on
/// `loop`'s thread; its outputs run there too. When Realtime fails (refused, hung, malformed,
/// dropped) `onUnavailable` runs once and the call continues on the cascaded offline pipeline.
public final class RealtimeBrain: @unchecked Sendable {
    // @unchecked: loop-confined; tool completions hop back with `loop.execute`.
    public let tenant: TenantRuntime
    public let loop: EventLoop
    public private(set) var currentAgent: TenantRuntime.Agent
    private let sessionID: String
    private let callerID: String
    private let services: HostServices
    private let briefs: [String: RealtimeAgentBrief]
    private let onEvent: @Sendable (ConversationEvent) -> Void
    private let onUnavailable: @Sendable (String) -> Void
    private var session: RealtimeSession!

    deinit { session?.close() }
    /// Function calls of the current response still running; `turn_end` waits for them.
    private var runningCalls = 0
    /// The response in progress called a function (tool or transfer).
    private var responseMadeCalls = false
    private var closed = false
    /// An escalation on a call that can transfer (RealtimeCall sets it): given the department and
    /// the model's reason, it starts the transfer and returns what the model should say instead of
    /// reading out a queue ticket; nil keeps the ticket. Loop thread.
    package var transferOnEscalation: ((_ department: String, _ reason: String?) -> String?)?
    /// Tool calls and handoffs since the caller last spoke, against the tenant's per-turn limits.
    private var toolCallsThisTurn = 0
    private var handoffsThisTurn = 0
    /// The service accepted the session's configuration (responses may be requested).
    private var ready = false
    /// The agent is to speak first once the session is ready.
    private var greetWhenReady = false

    /// `configuration` comes from the tenant's voice settings (docs/realtime.md). Starts
    /// connecting at once. `onAudio` gets PCM16 at 24 kHz (pcm16) or 8 kHz (pcmu).
    public init(tenant: TenantRuntime, configuration: RealtimeConfiguration, loop: EventLoop, services: HostServices,
                sessionID: String, callerID: String,
                onAudio: @escaping @Sendable ([Int16]) -> Void,
                onEvent: @escaping @Sendable (ConversationEvent) -> Void,
                onUnavailable: @escaping @Sendable (String) -> Void) {
        self.tenant = tenant
        self.loop = loop
        self.services = services
        self.sessionID = sessionID
        self.callerID = callerID
        self.onEvent = onEvent
        self.onUnavailable = onUnavailable
        currentAgent = tenant.entryAgent
        briefs = tenant.agents.mapValues { RealtimeAgentBrief(agent: $0, tenant: tenant) }
        let brief = briefs[tenant.entryAgent.id]!
        var handlers = RealtimeHandlers()
        handlers.onAudio = { samples, _ in onAudio(samples) }
        // Weak: the session (kept alive by its socket) may outlive the brain; the call owns the brain.
        handlers.onUserTranscript = { [weak self] text in
            guard let self else { return }
            (toolCallsThisTurn, handoffsThisTurn) = (0, 0)
            emit(.user(text: text, final: true))
        }
        handlers.onAgentTranscript = { [weak self] text in
            guard let self else { return }
            emit(.agent(agent: currentAgent.name, text: text))
        }
        handlers.onSpeechStarted = { [weak self] at in self?.emit(.speechStarted(atMilliseconds: at)) }
        handlers.onSpeechStopped = { [weak self] at in self?.emit(.speechStopped(atMilliseconds: at)) }
        handlers.onFunctionCall = { [weak self] call in self?.functionCall(call) }
        handlers.onResponseDone = { [weak self] status in
            guard let self else { return }
            // A response that ended in function calls is followed by another (after their
            // outputs): the turn ends with that one.
            guard !responseMadeCalls else { return responseMadeCalls = false }
            if status == "completed", runningCalls == 0 { emit(.turnEnd(agent: currentAgent.name)) }
        }
        handlers.onServerError = { [weak self] code, message in
            self?.emit(.error(code: "realtime_error", message: "\(code ?? "error"): \(message)"))
        }
        handlers.onFailure = { [weak self] failure in self?.unavailable(failure) }
        handlers.onReady = { [weak self] in
            guard let self else { return }
            ready = true
            if greetWhenReady { greetWhenReady = false; session.createResponse() }
        }
        session = RealtimeSession(configuration: configuration, loop: loop, instructions: brief.instructions, tools: brief.tools, handlers: handlers)
        session.start()
    }

    // MARK: inputs (loop thread)

    /// Caller audio: PCM16 at 24 kHz (format pcm16).
    public func callerAudio(samples: [Int16]) { if !closed { session.appendAudio(samples) } }

    /// Caller audio: G.711 mu-law at 8 kHz, passed through (format pcmu).
    public func callerAudio(muLaw: [UInt8]) { if !closed { session.appendMuLaw(muLaw) } }

    /// The agent speaks first (a phone line): a response is requested as soon as the service has
    /// the session's instructions (it drops requests made before that).
    public func greet() {
        guard !closed else { return }
        if ready { session.createResponse() } else { greetWhenReady = true }
    }

    /// The caller spoke over the agent: `playedMilliseconds` of the current reply were heard.
    public func bargeIn(playedMilliseconds: Int) {
        guard !closed else { return }
        session.interrupt(playedMilliseconds: playedMilliseconds)
        emit(.interrupted(atMilliseconds: playedMilliseconds))
    }

    /// Ends the Realtime session (no `onUnavailable`). Tool results still running are dropped.
    public func close() {
        guard !closed else { return }
        closed = true
        session.close()
    }

    // MARK: function calls

    private func functionCall(_ call: RealtimeFunctionCall) {
        guard !closed else { return }
        responseMadeCalls = true
        let brief = briefs[currentAgent.id]!
        let limits = tenant.configuration.limits
        if let targetID = brief.transfers[call.name], let target = tenant.agents[targetID] {
            handoffsThisTurn += 1
            guard handoffsThisTurn <= limits.maxHandoffsPerTurn else {
                return session.sendFunctionOutput(callID: call.callID, output: #"{"error":"no more transfers this turn: answer the caller yourself"}"#)
            }
            return handoff(to: target, call: call)
        }
        emit(.toolCall(agent: currentAgent.name, tool: call.name, callID: call.callID, argumentsJSON: call.argumentsJSON))
        toolCallsThisTurn += 1
        guard toolCallsThisTurn <= limits.maxToolCallsPerTurn else {
            let output = #"{"error":"the tool-call limit for this turn is reached; answer the caller with what you have"}"#
            emit(.toolResult(tool: call.name, callID: call.callID, ok: false, output: output))
            return session.sendFunctionOutput(callID: call.callID, output: output)
        }
        guard brief.runnable.contains(call.name), let tool = tenant.tools[call.name] else {
            let output = #"{"error":"\#(call.name) is not available to \#(currentAgent.name)"}"#
            emit(.toolResult(tool: call.name, callID: call.callID, ok: false, output: output))
            return session.sendFunctionOutput(callID: call.callID, output: output)
        }
        runningCalls += 1
        let metrics = services.metrics
        let started = DispatchTime.now().uptimeNanoseconds
        let completion: @Sendable (ah_status_t, String) -> Void = { [self] status, output in
            metrics.increment("agent_host_tool_calls_total", labels: ["tool": call.name, "ok": status == AH_OK ? "true" : "false"])
            metrics.observe("agent_host_tool_call_seconds", Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, labels: ["tool": call.name])
            loop.execute { [self] in
                runningCalls -= 1
                guard !closed else { return }
                emit(.toolResult(tool: call.name, callID: call.callID, ok: status == AH_OK, output: output))
                var toModel = output
                if status == AH_OK, call.name == ModelBrain.escalationTool {
                    let department = escalated(output)
                    let reason = ((try? JSONSerialization.jsonObject(with: Data(call.argumentsJSON.utf8))) as? [String: Any])?["reason"] as? String
                    if let words = transferOnEscalation?(department, reason) {
                        toModel = #"{"transferred":true,"department":\#(JSONText.quote(department)),"say_to_caller":\#(JSONText.quote(words))}"#
                    }
                }
                session.sendFunctionOutput(callID: call.callID, output: toModel)
            }
        }
        do {
            try tool.invokeTool(callID: services.router.makeID(), sessionID: sessionID, callerID: callerID,
                                argumentsJSON: call.argumentsJSON.isEmpty ? "{}" : call.argumentsJSON, completion: completion)
        } catch {
            completion(error.status, #"{"error":\#(JSONText.quote(error.message))}"#)
        }
    }

    /// The new agent's instructions and tools replace the old ones; the function's output tells
    /// the model the transfer happened and asks for a response, which the new agent gives.
    private func handoff(to target: TenantRuntime.Agent, call: RealtimeFunctionCall) {
        let reason = ((try? JSONSerialization.jsonObject(with: Data(call.argumentsJSON.utf8))) as? [String: Any])?["reason"] as? String
        emit(.handoff(from: currentAgent.name, to: target.name, reason: reason))
        services.metrics.increment("agent_host_handoffs_total", labels: ["from": currentAgent.name, "to": target.name])
        currentAgent = target
        let brief = briefs[target.id]!
        session.update(instructions: brief.instructions, tools: brief.tools)
        session.sendFunctionOutput(callID: call.callID, output: #"{"assistant":\#(JSONText.quote(target.name))}"#)
    }

    /// The caller is queued for a person: `escalated` as in a cascaded call; the call ends after
    /// the model has told them (RealtimeCall waits for the reply to play).
    /// Returns the ticket's department.
    private func escalated(_ ticketJSON: String) -> String {
        let ticket = (try? JSONSerialization.jsonObject(with: Data(ticketJSON.utf8))) as? [String: Any] ?? [:]
        let department = ticket["department"] as? String ?? "support"
        emit(.escalated(agent: currentAgent.name, department: department,
                        position: (ticket["position"] as? NSNumber)?.intValue ?? 0,
                        waitMinutes: (ticket["wait_minutes"] as? NSNumber)?.intValue ?? 0))
        return department
    }

    private func unavailable(_ failure: RealtimeFailure) {
        guard !closed else { return }
        closed = true
        services.metrics.increment("agent_host_realtime_fallbacks_total", labels: ["kind": "\(failure.kind)"])
        onUnavailable(failure.description)
    }

    private func emit(_ event: ConversationEvent) {
        guard !closed else { return }
        onEvent(event)
    }
}
