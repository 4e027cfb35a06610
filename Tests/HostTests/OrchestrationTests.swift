import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import PluginABI
import TestSupport
import XCTest

/// Sessions across real plugins: the SDK's Relay Agent and sample tools, plus the C Echo Agent
/// fixture built from the frozen headers, driven by the orchestration on a real event loop.
final class OrchestrationTests: XCTestCase {
    static let relay = "com.agenthost.samples.relay"
    static let echoAgent = "com.agenthost.fixtures.echo-agent"
    var fixtures: TemporaryDirectory!
    var loop: EventLoop!
    var services: HostServices!
    var catalog: PluginCatalog!

    override func setUpWithError() throws {
        fixtures = TemporaryDirectory(prefix: "orchestration")
        let root = BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures"
        try CPluginBuilder.build(source: root + "/plugins/agent_fixture.c", includeDirectory: root + "/abi-1.0/include",
                                 output: fixtures.file("libagent_fixture.so"))
        catalog = PluginLoader(directories: [BuildProducts.directory, fixtures.path]).loadAll()
        loop = EventLoop(name: "orchestration-test")
        loop.start()
        services = HostServices(loop: loop)
    }

    override func tearDown() {
        loop.stop()
    }

    func tenant(_ id: String = "acme", plugins: [String]? = nil, limits: TurnLimits = TurnLimits()) throws -> TenantRuntime {
        let enabled = plugins ?? [Self.relay, Self.echoAgent, "com.agenthost.samples.echo", "com.agenthost.samples.quote", "com.agenthost.samples.delay"]
        return try TenantRuntime(configuration: TenantConfiguration(id: id, plugins: enabled, entryAgent: Self.relay, limits: limits),
                                 catalog: catalog, services: services)
    }

    func testATurnEmitsUserAgentAndTurnEndInOrder() throws {
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(), caller: "+15551234567", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("hello")
        let events = try probe.waitForTurnEnds(1)
        XCTAssertEqual(events.map(\.type), ["session", "user", "agent", "turn_end"])
        XCTAssertEqual(events[0], .session(sessionID: conversation.id, tenant: "acme", caller: "+15551234567", agent: "Relay Agent", returning: false,
                                            plugins: ["com.agenthost.fixtures.echo-agent": "1.0.0", "com.agenthost.samples.quote": "1.0.0",
                                                      "com.agenthost.samples.delay": "1.0.0", "com.agenthost.samples.relay": "1.0.0",
                                                      "com.agenthost.samples.echo": "1.0.0"]),
                       "the session event names every component's version (docs/protocol.md §1)")
        XCTAssertEqual(events[2], .agent(agent: "Relay Agent", text: "Turn 1: hello"))
        XCTAssertEqual(events[3], .turnEnd(agent: "Relay Agent"))
    }

    func testScratchStateIsCarriedToTheAgentsNextStepAndInputIsQueuedDuringATurn() throws {
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(), caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("one")
        conversation.send("two")
        let said = try probe.waitForTurnEnds(2).compactMap { if case .agent(_, let text) = $0 { return text } else { return nil } }
        XCTAssertEqual(said, ["Turn 1: one", "Turn 2: two"])
    }

    func testAToolCallIsRoutedToTheToolPluginAndItsResultReturnsToTheAgent() throws {
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(), caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send(#"tool quote_price {"sku":"MUG-01","quantity":2}"#)
        let events = try probe.waitForTurnEnds(1)
        XCTAssertEqual(events.map(\.type), ["session", "user", "tool_call", "tool_result", "agent", "turn_end"])
        guard case let .toolCall(agent, tool, callID, _) = events[2], case let .toolResult(resultTool, resultID, ok, output) = events[3] else {
            return XCTFail("\(events)")
        }
        XCTAssertEqual(agent, "Relay Agent")
        XCTAssertEqual(tool, "quote_price")
        XCTAssertEqual(resultTool, "quote_price")
        XCTAssertEqual(callID, resultID)
        XCTAssertTrue(events[2].json.contains(#""arguments":{"quantity":2,"sku":"MUG-01"}"#), "arguments travel as a JSON object: \(events[2].json)")
        XCTAssertTrue(ok)
        XCTAssertTrue(output.contains(#""total":25"#), output)
        XCTAssertEqual(events[4], .agent(agent: "Relay Agent", text: "Result: \(output)"))
        XCTAssertEqual(conversation.toolsCalled, ["quote_price"])
    }

    func testAToolTheTenantDidNotEnableIsRefused() throws {
        let probe = ConversationProbe()
        let narrow = try tenant("narrow", plugins: [Self.relay, "com.agenthost.samples.echo"])
        let conversation = Conversation(tenant: narrow, caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send(#"tool quote_price {"sku":"MUG-01","quantity":2}"#)
        let events = try probe.waitForTurnEnds(1)
        XCTAssertFalse(events.contains { $0.type == "tool_call" }, "\(events)")
        XCTAssertTrue(events.contains(.agent(agent: "Relay Agent", text: "That failed: the tool quote_price is not available here")), "\(events)")
    }

    func testAHandoffMovesControlWithTheSameInputAndTheConversationCarriesOn() throws {
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(), caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("handoff \(Self.echoAgent)")
        let first = try probe.waitForTurnEnds(1)
        XCTAssertEqual(first.map(\.type), ["session", "user", "agent", "handoff", "agent", "turn_end"])
        XCTAssertEqual(first[3], .handoff(from: "Relay Agent", to: "Echo Agent", reason: "caller asked"))
        XCTAssertEqual(first[4], .agent(agent: "Echo Agent", text: "You said: handoff \(Self.echoAgent)"))
        XCTAssertEqual(first[5], .turnEnd(agent: "Echo Agent"))
        conversation.send("still there?")
        let second = try probe.waitForTurnEnds(2)
        XCTAssertEqual(second.last, .turnEnd(agent: "Echo Agent"))
        XCTAssertEqual(conversation.agentsVisited, ["Relay Agent", "Echo Agent"])
    }

    func testTurnLimitsStopHandoffsAndToolLoops() throws {
        let probe = ConversationProbe()
        let strict = try tenant("strict", limits: TurnLimits(maxHandoffsPerTurn: 0, maxToolCallsPerTurn: 0))
        let conversation = Conversation(tenant: strict, caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("handoff \(Self.echoAgent)")
        conversation.send(#"tool echo {}"#)
        let events = try probe.waitForTurnEnds(2)
        XCTAssertFalse(events.contains { $0.type == "handoff" || $0.type == "tool_call" }, "\(events)")
        XCTAssertTrue(events.contains(.agent(agent: "Relay Agent", text: "That failed: too many tool calls in this turn")), "\(events)")
        XCTAssertEqual(events.last, .turnEnd(agent: "Relay Agent"))
    }

    func testAFailingAgentProducesAnErrorEventAndAnApologyAndTheSessionGoesOn() throws {
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(), caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("fail")
        conversation.send("hello again")
        let events = try probe.waitForTurnEnds(2)
        XCTAssertTrue(events.contains(.error(code: "agent_failed", message: "Relay Agent: the relay's backend is down")), "\(events)")
        XCTAssertTrue(events.contains(.agent(agent: "Relay Agent", text: "Sorry, something went wrong on my side. Could you say that again?")))
        XCTAssertEqual(events.last, .turnEnd(agent: "Relay Agent"))
        XCTAssertNil(conversation.ended)
    }

    func testAStepThatTakesTooLongIsAbandonedAndItsLateResultIgnored() throws {
        let probe = ConversationProbe()
        let slow = try tenant("slow", limits: TurnLimits(stepTimeoutMilliseconds: 100))
        let conversation = Conversation(tenant: slow, caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send(#"tool delay {"milliseconds":400}"#)
        let events = try probe.waitForTurnEnds(1)
        XCTAssertTrue(events.contains { if case .error("agent_timeout", _) = $0 { return true } else { return false } }, "\(events)")
        Thread.sleep(forTimeInterval: 0.5)  // the tool completes after the abandoned step
        let after = probe.events
        XCTAssertFalse(after.contains { if case .agent(_, let text) = $0 { return text.hasPrefix("Result") } else { return false } }, "\(after)")
        XCTAssertEqual(services.router.openSteps, 0)
    }

    /// At the step's deadline the host cancels the tool call it waits for (the SDK's delay tool
    /// stops sleeping at once, so its completion comes back long before the 3 s it asked for), the
    /// call leaves the completion router, and the late completion is dropped and counted — never
    /// a stray `tool_result` at the start of the next turn.
    func testAToolCallOutlivingItsStepIsCancelledAndItsLateCompletionDropped() throws {
        let probe = ConversationProbe()
        let slow = try tenant("slow-tool", limits: TurnLimits(stepTimeoutMilliseconds: 150))
        let conversation = Conversation(tenant: slow, caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send(#"tool delay {"milliseconds":3000}"#)
        let first = try probe.waitForTurnEnds(1)
        XCTAssertTrue(first.contains { if case .error("agent_timeout", _) = $0 { return true } else { return false } }, "\(first)")
        XCTAssertEqual(services.router.pendingCalls, 0, "the cancelled call left the completion router")
        let late = ["plugin": "com.agenthost.samples.delay"]
        let deadline = Date().addingTimeInterval(1.5)
        while services.metrics.counter("agent_host_late_tool_completions_total", labels: late) < 1, Date() < deadline { usleep(10_000) }
        XCTAssertEqual(services.metrics.counter("agent_host_late_tool_completions_total", labels: late), 1,
                       "the tool was cancelled (its completion came well before its 3 s) and the completion dropped")
        conversation.send("hello again")
        let all = try probe.waitForTurnEnds(2)
        let secondTurn = all.drop { $0 != .user(text: "hello again", final: true) }
        XCTAssertFalse(secondTurn.contains { $0.type == "tool_result" }, "no stray tool_result: \(secondTurn)")
        XCTAssertFalse(all.contains { $0.type == "tool_result" }, "\(all)")
    }

    func testTheAgentCanEndTheSession() throws {
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(), caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("bye")
        let events = try probe.wait { $0.last?.type == "end" }
        XCTAssertEqual(Array(events.suffix(3)), [.agent(agent: "Relay Agent", text: "Goodbye."), .turnEnd(agent: "Relay Agent"), .end(reason: "agent_ended")])
    }

    func testEscalationWithoutAnEscalationToolTellsTheCallerAndKeepsTheSession() throws {
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(), caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("escalate")
        let events = try probe.waitForTurnEnds(1)
        XCTAssertTrue(events.contains { if case .error("escalation_unavailable", _) = $0 { return true } else { return false } }, "\(events)")
        XCTAssertNil(conversation.ended)
    }

    func testATenantWhoseEntryAgentIsMissingIsRefusedWithTheReason() throws {
        XCTAssertThrowsError(try TenantRuntime(configuration: TenantConfiguration(id: "broken", plugins: ["com.agenthost.samples.echo"], entryAgent: "com.nope.triage"),
                                               catalog: catalog, services: services)) { error in
            XCTAssertTrue("\(error)".contains("entry agent com.nope.triage is not available"), "\(error)")
        }
    }
}

/// Collects a conversation's events and waits for them.
final class ConversationProbe: Sendable {
    private let box = LockedBox<[ConversationEvent]>([])
    private let condition = NSCondition()

    var record: Conversation.EventHandler {
        { [self] event in
            condition.lock()
            box.mutate { $0.append(event) }
            condition.broadcast()
            condition.unlock()
        }
    }

    var events: [ConversationEvent] { box.value }

    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    func wait(timeout: TimeInterval = 10, until done: ([ConversationEvent]) -> Bool) throws -> [ConversationEvent] {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !done(box.value) {
            guard condition.wait(until: deadline) else { throw Timeout(description: "timed out; events so far: \(box.value)") }
        }
        return box.value
    }

    func waitForTurnEnds(_ count: Int, timeout: TimeInterval = 10) throws -> [ConversationEvent] {
        try wait(timeout: timeout) { events in events.filter { $0.type == "turn_end" }.count >= count }
    }
}
