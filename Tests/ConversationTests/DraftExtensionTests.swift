import Foundation
import Host
import HostOrchestration
@testable import HostPlugins
import HostTestSupport
import HostVoice
import PluginABI
import TestSupport
import XCTest

/// The draft extensions (docs/abi.md, "Draft extensions") through the real reference plugins
/// (built with the SDK, which uses both drafts) next to a 1.0 C plugin that uses neither.
final class DraftExtensionTests: XCTestCase {
    /// Reads loop-confined conversation state on its loop.
    private func onLoop<T>(_ conversation: Conversation, _ body: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var value: T?
        conversation.loop.execute { value = body(); done.signal() }
        if let failure = done.wait(seconds: 30, for: "a block on the conversation's loop") { fatalError(failure) }
        return value!
    }

    func testTheRefundAgentSaysItExpectsAnOrderIDThroughTheVoiceHintNotItsState() throws {
        let deployment = try LocalDeployment(pluginDirectories: [BuildProducts.directory])
        defer { deployment.shutdown() }
        let caller = Caller(deployment)
        let asked = caller.say("I want to return an item and get my money back")
        XCTAssertEqual(asked.endedOn, "Refund Agent", asked.json)
        let conversation = caller.conversation!
        let refund = try XCTUnwrap(deployment.tenant.agent(named: "Refund Agent"))
        XCTAssertEqual(onLoop(conversation) { conversation.expectation }, VoiceHint(kind: .orderID), asked.reply)
        XCTAssertFalse(onLoop(conversation) { conversation.agentStates[refund.id] ?? "" }.contains("\"expect\""),
                       "the hint no longer rides in the plugin's private state")
        XCTAssertNotNil(ClosedPrompt.grammar(for: onLoop(conversation) { conversation.expectation }), "a voice call decodes the answer with the order-id grammar")

        let answered = caller.say("order ORD-77310")
        XCTAssertEqual(answered.endedOn, "Refund Agent", answered.json)
        XCTAssertNotEqual(onLoop(conversation) { conversation.expectation }, VoiceHint(kind: .orderID),
                          "a hint speaks for the next utterance only: \(answered.reply)")
    }

    func testAnAgentThatNeverUsedTheExtensionKeepsTheStateConvention() throws {
        let deployment = try LocalDeployment(pluginDirectories: [BuildProducts.directory])
        defer { deployment.shutdown() }
        let caller = Caller(deployment)
        _ = caller.say("hello")
        let conversation = caller.conversation!
        let current = onLoop(conversation) { conversation.currentAgentID }
        // What a 1.0 plugin writes: read only while the agent has never given a hint.
        let legacy = onLoop(conversation) { () -> VoiceHint? in
            conversation.agentStates[current] = #"{"awaiting":"x","expect":"yes_no"}"#
            return conversation.expectation
        }
        XCTAssertEqual(legacy, VoiceHint(kind: .yesNo))
        let afterHint = onLoop(conversation) { () -> VoiceHint? in
            conversation.noteVoiceHint(VoiceHint(kind: .digits, length: 4), from: current)
            return conversation.expectation
        }
        XCTAssertEqual(afterHint, VoiceHint(kind: .digits, length: 4), "the extension wins over the state")
        XCTAssertEqual(ClosedPrompt.grammar(for: afterHint)?.name, "digits4", "digits of length N get an exact grammar")
    }

    func testTheVoiceHintTableRefusesBadHintsWithAMessageAndClosedStepsWithNotFound() throws {
        let deployment = try LocalDeployment(pluginDirectories: [BuildProducts.directory])
        defer { deployment.shutdown() }
        let instance = try XCTUnwrap(deployment.tenant.entryAgent.instance as? PluginInstance)
        let host = UnsafePointer(instance.hostTable.pointer)
        let raw = try XCTUnwrap(host.pointee.get_extension(host, AH_EXT_VOICE_HINT_DRAFT), "offered to every instance")
        let table = raw.assumingMemoryBound(to: ah_host_voice_hint_t.self).pointee
        XCTAssertEqual(table.struct_size, UInt32(MemoryLayout<ah_host_voice_hint_t>.size))
        var error = ah_error_t()
        XCTAssertEqual(table.expect(host, 1, "shoe_size", 0, &error), AH_ERR_INVALID_ARGUMENT)
        XCTAssertTrue(PluginLoader.message(&error, default: "").contains("use text, order_id, digits or yes_no"))
        XCTAssertEqual(table.expect(host, 1, AH_VOICE_EXPECT_DIGITS, 33, &error), AH_ERR_INVALID_ARGUMENT)
        XCTAssertEqual(table.expect(host, 987_654_321, AH_VOICE_EXPECT_YES_NO, 0, nil), AH_ERR_NOT_FOUND, "no such open step")
    }

    func testSDKAgentsFetchTheCatalogOnceWhileA10PluginKeepsItInEveryContext() throws {
        let fixtures = TemporaryDirectory(prefix: "draft-catalog")
        try CPluginBuilder.build(source: BuildProducts.repositoryRoot + "/Tests/ConversationTests/Fixtures/warranty_agent.c",
                                 includeDirectory: BuildProducts.repositoryRoot + "/Sources/PluginABI/include",
                                 output: fixtures.file("libwarranty_agent.so"))
        let deployment = try LocalDeployment(pluginDirectories: [BuildProducts.directory, fixtures.path]) { configuration in
            configuration.plugins.append("com.example.thirdparty.warranty")
        }
        defer { deployment.shutdown() }
        let triage = deployment.tenant.entryAgent
        let warranty = try XCTUnwrap(deployment.tenant.agent(named: "Warranty Agent"))
        XCTAssertEqual(triage.catalogChannel?.subscribed, true, "the SDK subscribes its agents")
        XCTAssertEqual(warranty.catalogChannel?.subscribed, false, "a 1.0 plugin never does")

        let caller = Caller(deployment)
        let routed = caller.say("my coffee maker broke after two months and I want to claim the warranty")
        XCTAssertEqual(routed.handoffs, ["Warranty Agent"], "Triage routes from the fetched catalog: \(routed.json)")
        let conversation = caller.conversation!
        let triageContext = onLoop(conversation) { conversation.contextJSON(for: triage, input: "x", handedOffFrom: nil) }
        let warrantyContext = onLoop(conversation) { conversation.contextJSON(for: warranty, input: "x", handedOffFrom: nil) }
        XCTAssertTrue(triageContext.hasPrefix("{\"catalog_version\":"), triageContext)
        XCTAssertFalse(triageContext.contains("handoff_targets"), "no catalog in a subscribed agent's context")
        XCTAssertLessThan(triageContext.utf8.count * 4, warrantyContext.utf8.count, "the catalog was most of the context")
        XCTAssertTrue(warrantyContext.contains("\"handoff_targets\":[{"), "the 1.0 plugin still gets it in every context")

        // The catalog a subscribed agent fetches is exactly what the context would have carried.
        let version = try XCTUnwrap(triageContext.firstMatch(of: /"catalog_version":"([0-9a-f]+)"/)?.1)
        let fetched = try XCTUnwrap(triage.catalogChannel?.json(version: String(version)))
        XCTAssertEqual(fetched, "{" + triage.staticContext + "}")
        XCTAssertTrue(fetched.contains("Warranty Agent"))
        XCTAssertNil(triage.catalogChannel?.json(version: "0"), "unknown versions are not served")
    }
}
