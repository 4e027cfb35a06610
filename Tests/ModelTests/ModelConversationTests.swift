import Foundation
import Host
import HostOrchestration
import HostSessions
import HostSupport
import HostTestSupport
import HostModels
import ModelStandIn
import TestSupport
import XCTest

/// Whole conversations where the model stand-in drives the real department plugins' steps: the
/// real CommerceTools plugin calls a real support-backend; only the model is scripted.
final class ModelConversationTests: XCTestCase {
    static let key = "sk-standin-4242-do-not-log"
    nonisolated(unsafe) static var standIn: ChatCompletionsStandIn!
    nonisolated(unsafe) static var deployment: LocalDeployment!
    /// The same plugins without a model, against the same backend: the offline reference.
    nonisolated(unsafe) static var offline: LocalDeployment!

    override class func setUp() {
        standIn = ChatCompletionsStandIn(apiKey: key)
        do {
            try standIn.start()
            var endpoint = ChatCompletionsEndpoint(baseURL: standIn.baseURL, model: "gpt-4o-mini", apiKey: Secret(key))
            endpoint.maxRetries = 1
            endpoint.baseBackoffMilliseconds = 20
            endpoint.timeouts.firstByteMilliseconds = 400
            endpoint.timeouts.idleMilliseconds = 400
            deployment = try LocalDeployment(pluginDirectories: [BuildProducts.directory]) { $0.model = endpoint }
            offline = try LocalDeployment(pluginDirectories: [BuildProducts.directory], backendURL: deployment.backendURL)
        } catch {
            XCTFail("could not start the deployment: \(error)")
        }
    }

    override class func tearDown() {
        offline?.shutdown()
        deployment?.shutdown()
        standIn?.stop()
    }

    override func setUp() {
        Self.standIn.reset()
        Self.deployment.tenant.brain?.circuit.succeeded()  // each test starts with the provider trusted
    }

    var standIn: ChatCompletionsStandIn { Self.standIn }
    var deployment: LocalDeployment { Self.deployment }

    private func instructions(_ name: String) -> String? {
        deployment.tenant.agent(named: name)?.instance.descriptor.agent?.instructions
    }

    private func requestJSON(_ index: Int) -> [String: Any] {
        let requests = standIn.requests
        guard requests.indices.contains(index) else { XCTFail("no request \(index)"); return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(requests[index].body))) as? [String: Any] ?? [:]
    }

    private func toolNames(_ request: [String: Any]) -> [String] {
        (request["tools"] as? [[String: Any]] ?? []).compactMap { ($0["function"] as? [String: Any])?["name"] as? String }
    }

    func testAScriptedModelRoutesCallsToolsAndHandsOffLikeTheOfflineBrain() throws {
        standIn.enqueue(
            .toolCalls([StandInToolCall("transfer_to_refund_agent", #"{"reason":"refund request"}"#)]),
            .toolCalls([StandInToolCall("lookup_order", #"{"order_id":"ORD-12345"}"#)]),
            .text("I found order ORD-12345. It qualifies for a refund, shall I go ahead?"))
        let turn = Caller(deployment).say("I need a refund for order ORD-12345")

        XCTAssertEqual(turn.shape, ["user", "handoff:Triage Agent->Refund Agent", "tool_call:Refund Agent:lookup_order", "tool_result:lookup_order:true",
                                    "agent:Refund Agent", "agent:Refund Agent", "turn_end:Refund Agent"], turn.json)
        XCTAssertEqual(turn.toolArguments("lookup_order"), #"{"order_id":"ORD-12345"}"#)
        XCTAssertTrue(turn.toolResults.first?.output.contains("ORD-12345") ?? false, "the real backend answered: \(turn.json)")
        XCTAssertEqual(turn.replies, ["I found order ORD-12345.", "It qualifies for a refund, shall I go ahead?"], "one agent event per sentence")

        // The offline brain, same input: the same route, tool and final agent.
        let reference = Caller(Self.offline).say("I need a refund for order ORD-12345")
        XCTAssertEqual(turn.handoffRoutes, reference.handoffRoutes, reference.json)
        XCTAssertEqual(turn.toolsCalled, reference.toolsCalled, reference.json)
        XCTAssertEqual(turn.endedOn, reference.endedOn)
        XCTAssertEqual(turn.toolArguments("lookup_order"), reference.toolArguments("lookup_order"))
    }

    func testTheModelIsSentInstructionsToolsTransfersAndToolResults() throws {
        standIn.enqueue(
            .toolCalls([StandInToolCall("transfer_to_refund_agent", "{}")]),
            .toolCalls([StandInToolCall("lookup_order", #"{"order_id":"ORD-12345"}"#)]),
            .text("Found it."))
        _ = Caller(deployment).say("I need a refund for order ORD-12345")
        XCTAssertEqual(standIn.requests.count, 3)
        XCTAssertTrue(standIn.requests.allSatisfy { $0.headers["authorization"] == "Bearer \(Self.key)" })

        let triage = requestJSON(0)
        XCTAssertEqual(triage["model"] as? String, "gpt-4o-mini")
        XCTAssertEqual(triage["stream"] as? Bool, true)
        let triageMessages = triage["messages"] as? [[String: Any]] ?? []
        XCTAssertEqual(triageMessages.first?["role"] as? String, "system")
        XCTAssertEqual(triageMessages.first?["content"] as? String, instructions("Triage Agent"))
        XCTAssertEqual(triageMessages.last?["content"] as? String, "I need a refund for order ORD-12345")
        XCTAssertEqual(Set(toolNames(triage)), ["transfer_to_billing_agent", "transfer_to_refund_agent", "transfer_to_faq_agent", "escalate_to_human"])
        let transfer = (triage["tools"] as? [[String: Any]])?.compactMap { $0["function"] as? [String: Any] }.first { $0["name"] as? String == "transfer_to_refund_agent" }
        XCTAssertTrue((transfer?["description"] as? String)?.contains("Refund Agent") ?? false)

        let refund = requestJSON(1)
        XCTAssertEqual((refund["messages"] as? [[String: Any]])?.first?["content"] as? String, instructions("Refund Agent"))
        XCTAssertTrue(Set(toolNames(refund)).isSuperset(of: ["lookup_order", "process_refund", "transfer_to_triage_agent", "escalate_to_human"]), "\(toolNames(refund))")
        let schema = (refund["tools"] as? [[String: Any]])?.compactMap { $0["function"] as? [String: Any] }.first { $0["name"] as? String == "lookup_order" }?["parameters"] as? [String: Any]
        XCTAssertEqual(schema?["required"] as? [String], ["order_id"], "the tool's own JSON schema")

        let followUp = requestJSON(2)["messages"] as? [[String: Any]] ?? []
        let assistant = followUp.first { $0["role"] as? String == "assistant" && $0["tool_calls"] != nil }
        let call = (assistant?["tool_calls"] as? [[String: Any]])?.first
        XCTAssertEqual((call?["function"] as? [String: Any])?["name"] as? String, "lookup_order")
        let toolMessage = followUp.last
        XCTAssertEqual(toolMessage?["role"] as? String, "tool")
        XCTAssertEqual(toolMessage?["tool_call_id"] as? String, call?["id"] as? String)
        XCTAssertTrue((toolMessage?["content"] as? String)?.contains("ORD-12345") ?? false)
    }

    func testEscalateToHumanQueuesTheCallerAndEndsTheSession() {
        standIn.enqueue(.toolCalls([StandInToolCall("escalate_to_human", #"{"department":"billing","reason":"caller asks for a person"}"#)]))
        let turn = Caller(deployment).say("let me talk to a real person please")
        XCTAssertTrue(turn.shape.contains("escalated"), turn.json)
        XCTAssertEqual(turn.ended, "escalated", turn.json)
    }

    func testAToolTheAgentMayNotUseIsRefusedToTheModelNotRun() throws {
        standIn.enqueue(.toolCalls([StandInToolCall("process_refund", #"{"order_id":"ORD-12345","reason":"x"}"#)]), .text("I can't do that here."))
        let turn = Caller(deployment).say("refund ORD-12345 now")
        XCTAssertTrue(turn.toolsCalled.isEmpty, turn.json)
        let messages = requestJSON(1)["messages"] as? [[String: Any]] ?? []
        XCTAssertTrue((messages.last?["content"] as? String)?.hasPrefix("error: this agent may not use") ?? false, "\(messages.last ?? [:])")
        XCTAssertEqual(turn.replies, ["I can't do that here."])
    }

    // MARK: provider failures → offline answer

    private func fallbackTurn(_ failure: StandInFailure) -> (Turn, Double) {
        let metrics = deployment.services.metrics
        let before = metrics.counter("agent_host_model_fallbacks_total", labels: ["tenant": "demo", "reason": reason(failure).rawValue])
        standIn.setRule { _ in .failure(failure) }
        let turn = Caller(deployment).say("I need a refund for order ORD-12345")
        let after = metrics.counter("agent_host_model_fallbacks_total", labels: ["tenant": "demo", "reason": reason(failure).rawValue])
        return (turn, after - before)
    }

    private func reason(_ failure: StandInFailure) -> ModelFailure.Reason {
        switch failure {
        case .status(let status, _): status == 429 ? .rateLimited : .serverError
        case .hang: .timeout
        case .malformedChunk: .malformed
        case .dropMidStream: .connection
        }
    }

    /// Both steps (Triage, then Refund after the offline handoff) try the model and fall back.
    private func assertOfflineAnswer(_ turn: Turn, fallbacks: Double, requestsPerStep: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(turn.errors.map(\.code), ["model_fallback", "model_fallback"], turn.json, file: file, line: line)
        XCTAssertTrue(turn.errors.allSatisfy { $0.message.contains(standIn.baseURL.replacingOccurrences(of: "/v1", with: "")) }, turn.json, file: file, line: line)
        XCTAssertEqual(fallbacks, 2, "metric", file: file, line: line)
        XCTAssertEqual(standIn.requests.count, 2 * requestsPerStep, "requests at the stand-in", file: file, line: line)
        XCTAssertEqual(turn.handoffRoutes, ["Triage Agent -> Refund Agent"], turn.json, file: file, line: line)
        XCTAssertTrue(turn.toolsCalled.contains("lookup_order"), turn.json, file: file, line: line)
        XCTAssertEqual(turn.endedOn, "Refund Agent", file: file, line: line)
        XCTAssertFalse(turn.replies.isEmpty, "the caller hears an answer", file: file, line: line)
    }

    /// A model that fails after it already ran a tool is not replaced by the plugin on the same
    /// input: that would run the tool again (think process_refund). The step ends as failed.
    func testAModelThatFailsAfterRunningAToolDoesNotHaveTheStepRunAgain() {
        standIn.enqueue(.toolCalls([StandInToolCall("transfer_to_refund_agent", #"{"reason":"refund"}"#)]),
                        .toolCalls([StandInToolCall("lookup_order", #"{"order_id":"ORD-12345"}"#)]))
        standIn.setRule { _ in .failure(.status(500, retryAfter: nil)) }
        let turn = Caller(deployment).say("I need a refund for order ORD-12345")
        XCTAssertEqual(turn.toolsCalled, ["lookup_order"], "the tool ran once: \(turn.json)")
        XCTAssertEqual(turn.errors.map(\.code), ["agent_failed"], turn.json)
        XCTAssertTrue(turn.errors[0].message.contains("mid-answer"), turn.errors[0].message)
        XCTAssertEqual(turn.endedOn, "Refund Agent")
        XCTAssertFalse(turn.replies.isEmpty, "the caller hears an apology")
    }

    /// A provider that keeps failing is rested: after three failed steps the next turn is answered
    /// offline at once — no request, no timeouts for the caller — and says why.
    func testAProviderThatKeepsFailingIsNotAskedUntilItsCooldownEnds() throws {
        let circuit = try XCTUnwrap(deployment.tenant.brain?.circuit)
        _ = fallbackTurn(.status(500, retryAfter: nil))  // two failed steps (Triage, then Refund)
        _ = fallbackTurn(.status(500, retryAfter: nil))  // the third opens the circuit
        let asked = standIn.requests.count
        let metrics = deployment.services.metrics
        let before = metrics.counter("agent_host_model_fallbacks_total", labels: ["tenant": "demo", "reason": "circuit_open"])
        let turn = Caller(deployment).say("I need a refund for order ORD-12345")
        XCTAssertEqual(standIn.requests.count, asked, "the provider was not asked while its circuit is open")
        XCTAssertEqual(turn.errors.map(\.code), ["model_fallback", "model_fallback"], turn.json)
        XCTAssertTrue(turn.errors[0].message.contains("not asked again for"), turn.errors[0].message)
        XCTAssertEqual(metrics.counter("agent_host_model_fallbacks_total", labels: ["tenant": "demo", "reason": "circuit_open"]) - before, 2)
        XCTAssertEqual(turn.endedOn, "Refund Agent", "the offline brain answered: \(turn.json)")
        XCTAssertNotNil(circuit.refusal(), "still resting")
    }

    /// The circuit's clock: open after the threshold, one trial step after the cooldown, closed by
    /// a success, open again at once by a failed trial.
    func testTheCircuitOpensRestsTriesOnceAndClosesOnSuccess() {
        let circuit = ModelCircuit(failureThreshold: 2, cooldownSeconds: 10)
        let second: UInt64 = 1_000_000_000
        circuit.failed(now: 0)
        XCTAssertNil(circuit.refusal(now: 1), "one failure is not an outage")
        circuit.failed(now: 1)
        XCTAssertEqual(circuit.refusal(now: 2 * second) ?? 0, 8, accuracy: 0.01, "open: 8 of the 10 s left")
        XCTAssertNil(circuit.refusal(now: 11 * second), "after the cooldown one step may try")
        XCTAssertNotNil(circuit.refusal(now: 11 * second + 1), "...but only one")
        circuit.failed(now: 12 * second)
        XCTAssertNotNil(circuit.refusal(now: 13 * second), "a failed trial opens it again")
        circuit.succeeded()
        XCTAssertNil(circuit.refusal(now: 13 * second), "a success closes it")
    }

    func testRateLimitingIsRetriedThenTheOfflineBrainAnswers() {
        let (turn, fallbacks) = fallbackTurn(.status(429, retryAfter: "0"))
        assertOfflineAnswer(turn, fallbacks: fallbacks, requestsPerStep: 2)
        XCTAssertTrue(turn.errors[0].message.contains("HTTP 429"), turn.errors[0].message)
    }

    func testServerErrorsAreRetriedThenTheOfflineBrainAnswers() {
        let (turn, fallbacks) = fallbackTurn(.status(500, retryAfter: nil))
        assertOfflineAnswer(turn, fallbacks: fallbacks, requestsPerStep: 2)
    }

    func testAHangingModelTimesOutThenTheOfflineBrainAnswers() {
        let (turn, fallbacks) = fallbackTurn(.hang)
        assertOfflineAnswer(turn, fallbacks: fallbacks, requestsPerStep: 2)
        XCTAssertTrue(turn.errors[0].message.contains("no response within 400 ms"), turn.errors[0].message)
    }

    func testMalformedOutputFallsBackAtOnce() {
        let (turn, fallbacks) = fallbackTurn(.malformedChunk)
        assertOfflineAnswer(turn, fallbacks: fallbacks, requestsPerStep: 1)
    }

    func testAConnectionDroppedMidAnswerFallsBack() {
        let (turn, fallbacks) = fallbackTurn(.dropMidStream(text: "Let me look at that "))
        assertOfflineAnswer(turn, fallbacks: fallbacks, requestsPerStep: 1)
        XCTAssertTrue(turn.errors[0].message.contains("the stream broke off"), turn.errors[0].message)
    }

    // MARK: secrets

    func testTheKeyAppearsInNoLogEventOrSessionRecord() throws {
        let lines = LockedBox<[String]>([])
        Logger.shared.configure(minimum: .debug, sink: { line in lines.mutate { $0.append(line) } })
        defer { Logger.shared.configure(minimum: .info, sink: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) }
        standIn.enqueue(.failure(.status(401, retryAfter: nil)))
        standIn.setRule { _ in .text("Sure. How can I help?") }
        let caller = Caller(deployment)
        _ = caller.say("I need a refund for order ORD-12345")
        _ = caller.say("thanks")
        let conversation = caller.conversation!
        let record = deployment.loop.submitAndWait { try? SessionRecord.Interaction(conversation).jsonText() } ?? nil
        XCTAssertNotNil(record)
        XCTAssertTrue(caller.allEvents.contains { $0.type == "error" }, "the 401 was reported")
        let everything = caller.allEvents.map(\.json) + lines.value + [record ?? ""] + ["\(deployment.tenant.configuration)"]
        XCTAssertFalse(everything.contains { $0.contains(Self.key) }, everything.first { $0.contains(Self.key) } ?? "")
        XCTAssertFalse(everything.contains { $0.contains("4242-do-not") })
    }
}
