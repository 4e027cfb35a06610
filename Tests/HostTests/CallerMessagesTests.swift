import Foundation
import Host
import HostOrchestration
import XCTest

/// What the orchestration says to callers comes from the tenant (`messages:`), not from code:
/// real plugins (the SDK's Relay Agent, the canned queue tool) on a real loop.
extension OrchestrationTests {
    func tenant(messages: CallerMessages, plugins: [String]) throws -> TenantRuntime {
        var configuration = TenantConfiguration(id: "acme", plugins: plugins, entryAgent: Self.relay)
        configuration.messages = messages
        return try TenantRuntime(configuration: configuration, catalog: catalog, services: services)
    }

    func testAFailedStepApologisesInTheTenantsWords() throws {
        var messages = CallerMessages()
        messages.apology = "Oops, that went wrong. Once more?"
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(messages: messages, plugins: [Self.relay]), caller: "c", loop: loop,
                                        services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("fail")
        let events = try probe.waitForTurnEnds(1)
        XCTAssertTrue(events.contains(.agent(agent: "Relay Agent", text: "Oops, that went wrong. Once more?")), "\(events)")
    }

    func testAnEscalationWithoutAQueueToolSaysTheTenantsWords() throws {
        var messages = CallerMessages()
        messages.noHumanAvailable = "Nobody is here at the moment."
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(messages: messages, plugins: [Self.relay]), caller: "c", loop: loop,
                                        services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("escalate")
        let events = try probe.waitForTurnEnds(1)
        XCTAssertTrue(events.contains(.agent(agent: "Relay Agent", text: "Nobody is here at the moment.")), "\(events)")
    }

    func testTheQueuePositionIsSaidWithTheTenantsTemplate() throws {
        var messages = CallerMessages()
        messages.queuePosition = "Place {position} in the {department} queue, roughly {wait}."
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(messages: messages, plugins: [Self.relay, "com.agenthost.canned.escalate"]),
                                        caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("escalate")
        let events = try probe.waitForTurnEnds(1)
        XCTAssertTrue(events.contains(.agent(agent: "Relay Agent", text: "Place 1 in the general queue, roughly 2 minutes.")), "\(events)")
    }

    func testWithoutMessagesTheQueuePositionKeepsTodaysWords() throws {
        let probe = ConversationProbe()
        let conversation = Conversation(tenant: try tenant(messages: CallerMessages(), plugins: [Self.relay, "com.agenthost.canned.escalate"]),
                                        caller: "c", loop: loop, services: services, onEvent: probe.record)
        conversation.start()
        conversation.send("escalate")
        let events = try probe.waitForTurnEnds(1)
        XCTAssertTrue(events.contains(.agent(agent: "Relay Agent",
                                             text: "You're number 1 in line for a person on our general team; the wait is about 2 minutes.")), "\(events)")
    }
}
