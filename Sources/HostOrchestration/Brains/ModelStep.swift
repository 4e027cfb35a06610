import AgentHostJSON
import Foundation
import HostModels
import HostSupport
import PluginABI

/// One agent step driven by the tenant's model. It performs the same actions a plugin would —
/// say, call a tool, hand off, escalate — through the step's `StepRun`, so limits, permissions,
/// events and metrics stay in one place. Tool results go back to the model as `tool` messages
/// until it answers in words or hands off. If the provider fails, the agent plugin's own logic
/// takes the step over (`TurnRun.modelFailed`). Loop-confined (the conversation's loop).
final class ModelStep: StepDriver, @unchecked Sendable {
    // @unchecked: every field is touched on the conversation's loop thread only; the stream's
    // handler hops there.
    static let maxRounds = 8

    let brain: ModelBrain
    let run: StepRun
    let handedOffFrom: (TenantRuntime.Agent, String?)?
    private let brief: ModelBrain.Brief?
    private var messages: [ChatMessage] = []
    private var call: ChatStreamCall?
    private var chunker = SentenceChunker()
    private var said = false
    /// A tool call was started: running the step again offline could repeat it (a refund twice).
    private var toolsStarted = false
    private var rounds = 0
    private var stopped = false
    /// When the current request went out (for the turn's model time-to-first-token).
    private var requestedAt: UInt64 = 0
    /// The tool calls of the current round, their results by position, and the host call ids still out.
    private var batch: [ChatToolCall] = []
    private var results: [String?] = []
    private var outstanding: [UInt64: Int] = [:]
    /// The current request's `chat {model}` span (ModelStep+Tracing.swift).
    var chatSpan: TraceSpan?

    init(brain: ModelBrain, run: StepRun, handedOffFrom: (TenantRuntime.Agent, String?)?) {
        self.brain = brain
        self.run = run
        self.handedOffFrom = handedOffFrom
        brief = brain.briefs[run.agent.id]
    }

    private var conversation: Conversation { run.turn.conversation }
    private var provider: String { brain.client.endpoint.providerName }

    func start() {
        guard let brief else {
            return fallBack(ModelFailure(reason: .rejected, message: "\(run.agent.name) has no model brief", attempts: 0))
        }
        if let wait = brain.circuit.refusal() {
            let message = "\(provider) failed \(brain.circuit.failureThreshold) steps in a row; not asked again for \(Int(wait.rounded(.up))) s"
            return fallBack(ModelFailure(reason: .circuitOpen, message: message, attempts: 0))
        }
        messages.reserveCapacity(conversation.history.count + 4)
        messages.append(.system(brief.instructions))
        for message in conversation.history {
            messages.append(message.role == "user" ? .user(message.text) : .assistant(text: message.text, toolCalls: []))
        }
        request()
    }

    func cancel() {
        endChatSpan(nil)
        stopped = true
        call?.cancel()
        call = nil
    }

    /// The step's deadline passed while the model had it: the plugin answers instead.
    func deadlinePassed(afterMilliseconds milliseconds: UInt64) {
        fallBack(ModelFailure(reason: .timeout, message: "\(provider): no answer within the step deadline of \(milliseconds) ms", attempts: rounds))
    }

    // MARK: rounds

    private func request() {
        guard let brief else { return }
        rounds += 1
        guard rounds <= Self.maxRounds else {
            return fallBack(ModelFailure(reason: .malformed, message: "\(provider): still calling tools after \(Self.maxRounds) rounds", attempts: rounds))
        }
        let loop = conversation.loop
        requestedAt = DispatchTime.now().uptimeNanoseconds
        startChatSpan()
        call = brain.client.stream(messages: messages, toolsJSON: brief.toolsJSON, extraHeaders: chatPropagationHeaders) { [self] event in
            if loop.inLoopThread { receive(event) } else { loop.execute { self.receive(event) } }
        }
    }

    private func receive(_ event: ChatStreamEvent) {
        guard !stopped, !run.closed else { return }
        if run.turn.modelFirstTokenMilliseconds == nil, Self.isAnswer(event) {
            // The first token (text, or a tool call's completion) of the turn's first answered request.
            run.turn.modelFirstTokenMilliseconds = millisecondsBetween(requestedAt, DispatchTime.now().uptimeNanoseconds)
        }
        switch event {
        case .text(let piece):
            for sentence in chunker.add(piece) { say(sentence) }
        case .completed(let completion):
            call = nil
            endChatSpan(completion)
            if let rest = chunker.flush() { say(rest) }
            act(on: completion)
        case .failed(let failure):
            call = nil
            endChatSpan(failure)
            fallBack(failure)
        }
    }

    private func say(_ text: String) {
        if run.say(text) == AH_OK { said = true }
    }

    private func act(on completion: ChatCompletion) {
        guard let brief else { return }
        guard !completion.toolCalls.isEmpty else {
            guard said else {
                return fallBack(ModelFailure(reason: .malformed, message: "\(provider): an empty answer (finish_reason \(completion.finishReason ?? "none"))", attempts: rounds))
            }
            return finish()
        }
        messages.append(.assistant(text: completion.text, toolCalls: completion.toolCalls))
        batch = completion.toolCalls
        results = Array(repeating: nil, count: batch.count)
        for (index, toolCall) in batch.enumerated() {
            let arguments = Self.arguments(toolCall.arguments)
            if let target = brief.transfers[toolCall.name] {
                // As in the Agents SDK, a handoff ends this agent's part of the turn.
                if run.handoff(to: target, reason: arguments?["reason"]?.string) == AH_OK { return finish() }
                results[index] = "error: no more handoffs are allowed in this turn; answer the caller yourself"
            } else if toolCall.name == ModelBrain.escalationTool, conversation.tenant.tools[toolCall.name] != nil {
                _ = run.escalate(department: arguments?["department"]?.string ?? "general", reason: arguments?["reason"]?.string)
                return finish()
            } else {
                let (status, callID) = run.callTool(toolCall.name, argumentsJSON: toolCall.arguments.isEmpty ? "{}" : toolCall.arguments)
                if status == AH_OK { outstanding[callID] = index; toolsStarted = true } else { results[index] = "error: " + Self.refusal(status) }
            }
        }
        continueWhenAnswered()
    }

    /// A tool the model called finished (TurnRun.runTool already emitted `tool_result`).
    func toolResult(callID: UInt64, status: ah_status_t, output: String) {
        guard !stopped, let index = outstanding.removeValue(forKey: callID) else { return }
        results[index] = status == AH_OK ? output : "error: " + output
        continueWhenAnswered()
    }

    private func continueWhenAnswered() {
        guard outstanding.isEmpty, !stopped else { return }
        for (index, toolCall) in batch.enumerated() {
            messages.append(.tool(callID: toolCall.id, content: results[index] ?? "error: no result"))
        }
        batch = []
        results = []
        request()
    }

    private func finish() {
        stopped = true
        brain.circuit.succeeded()
        run.stepDone(status: AH_OK, message: nil)
    }

    private func fallBack(_ failure: ModelFailure) {
        guard !stopped, !run.closed else { return }
        stopped = true
        endChatSpan(failure)
        // Only signs the provider is down count (timeouts, drops, 5xx, 429) — not one conversation's
        // rejected or malformed request, a cancel, a missing brief or the open circuit itself.
        if rounds > 0, [.timeout, .connection, .serverError, .rateLimited].contains(failure.reason) { brain.circuit.failed() }
        call?.cancel()
        call = nil
        // From here the plugin's rules hold for this step (deadline, late tool results).
        let plugin = PluginStepDriver(run: run, handedOffFrom: handedOffFrom)
        run.driver = plugin
        guard !said, !toolsStarted else {
            // The model already spoke or ran tools in this step: the plugin answering the same input
            // again would repeat words and could repeat a tool (a second refund). The step ends as
            // failed instead (`error` event; an apology only if the caller heard nothing).
            return run.stepDone(status: AH_ERR_UNAVAILABLE, message: "the model failed mid-answer: \(failure.message)")
        }
        run.turn.modelFailed(run, failure: failure, handedOffFrom: handedOffFrom)
    }

    private static func isAnswer(_ event: ChatStreamEvent) -> Bool {
        if case .failed = event { return false }
        return true
    }

    private static func arguments(_ text: String) -> JSONValue? {
        try? JSONValue.parse(text.isEmpty ? "{}" : text)
    }

    private static func refusal(_ status: ah_status_t) -> String {
        switch status {
        case AH_ERR_NOT_PERMITTED: "this agent may not use that function"
        case AH_ERR_LIMIT_EXCEEDED: "the tool-call limit for this turn is reached; answer the caller with what you have"
        case AH_ERR_INVALID_ARGUMENT: "the arguments must be a JSON object matching the schema"
        default: "the call failed with status \(status)"
        }
    }
}

extension TurnRun {
    /// The provider failed during `run`: say so (`error` event, metric, log), then let the agent
    /// plugin's own logic answer the same input with a fresh step deadline.
    func modelFailed(_ run: StepRun, failure: ModelFailure, handedOffFrom: (TenantRuntime.Agent, String?)?) {
        let tenant = conversation.tenant.id
        let message = "model unavailable, \(run.agent.name) answers offline: \(failure.message) (\(failure.attempts) attempt\(failure.attempts == 1 ? "" : "s"))"
        conversation.emit(.error(code: "model_fallback", message: message))
        conversation.services.metrics.increment("agent_host_model_fallbacks_total", labels: ["tenant": tenant, "reason": failure.reason.rawValue])
        conversation.services.logger.log(.warning, "tenant \(tenant)", message)
        armStepTimer(run)
        run.driver?.start()
    }
}
