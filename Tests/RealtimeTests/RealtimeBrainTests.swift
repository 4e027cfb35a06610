import Foundation
@testable import Host
import HostModels
import HostNet
import HostOrchestration
import HostPlugins
import HostVoice
import ModelStandIn
import TestSupport
import XCTest

/// RealtimeBrain with real department plugins (Triage, Billing) and canned tool plugins, against
/// the Realtime stand-in (a test double of the OpenAI service).
final class RealtimeBrainTests: XCTestCase {
    private var loop: EventLoop!
    private var services: HostServices!
    private var tenant: TenantRuntime!

    override func setUpWithError() throws {
        loop = EventLoop(name: "realtime-brain")
        loop.start()
        services = HostServices(loop: loop)
        let catalog = PluginLoader(directories: [BuildProducts.directory]).loadAll()
        tenant = try TenantRuntime(configuration: TenantConfiguration(
            id: "acme", plugins: ["com.agenthost.support.triage", "com.agenthost.support.billing",
                                  "com.agenthost.canned.check-billing", "com.agenthost.canned.escalate"],
            entryAgent: "com.agenthost.support.triage"), catalog: catalog, services: services)
    }

    override func tearDown() {
        loop.stop()
    }

    private struct Call {
        let brain: RealtimeBrain
        let events: LockedBox<[ConversationEvent]>
        let unavailable: LockedBox<String?>
        let audio: LockedBox<Int>
    }

    private func call(_ standIn: RealtimeStandIn, url: String? = nil) -> Call {
        let events = LockedBox<[ConversationEvent]>([]), unavailable = LockedBox<String?>(nil), audio = LockedBox(0)
        let configuration = RealtimeConfiguration(url: url ?? standIn.url, apiKey: "sk-standin", connectTimeoutMilliseconds: 1_000, stallTimeoutMilliseconds: 2_000)
        let tenant = tenant!, services = services!, loop = loop!
        let brain = loop.submitAndWait {
            RealtimeBrain(tenant: tenant, configuration: configuration, loop: loop, services: services, sessionID: "s1", callerID: "+15550001111",
                          onAudio: { samples in audio.mutate { $0 += samples.count } },
                          onEvent: { event in events.mutate { $0.append(event) } },
                          onUnavailable: { reason in unavailable.value = reason })
        }!
        return Call(brain: brain, events: events, unavailable: unavailable, audio: audio)
    }

    private func waitFor(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }

    private func speak(_ brain: RealtimeBrain) {
        let loop = loop!
        for frame in 0..<55 {   // 400 ms loud, 700 ms quiet, 20 ms frames at 24 kHz
            let samples = (0..<480).map { index -> Int16 in frame < 20 ? Int16(6000 * sin(Double(frame * 480 + index) * 0.08)) : 0 }
            loop.execute { brain.callerAudio(samples: samples) }
        }
    }

    func testToolsAndInstructionsComeFromTheAgentsAndAHandoffUpdatesTheSession() throws {
        let triage = try XCTUnwrap(tenant.agents["com.agenthost.support.triage"])
        let billing = try XCTUnwrap(tenant.agents["com.agenthost.support.billing"])
        let toBilling = ModelBrain.transferName(billing.name)
        let script = RealtimeScript(turns: [
            .init(heard: "I have a question about my bill", steps: [.call(name: toBilling, arguments: #"{"reason":"billing question"}"#)]),
            .init(heard: "what is my balance", steps: [.call(name: "check_billing", arguments: #"{"customer_id":"CUST-1001"}"#),
                                                      .say("Your balance is 42 dollars 50.", milliseconds: 300)]),
        ])
        let standIn = try RealtimeStandIn(script: script)
        let call = call(standIn)
        XCTAssertEqual(standIn.waitFor("session.update").count, 1)
        // Triage: its instructions, no tools of its own, escalation, a transfer to Billing.
        let first = try XCTUnwrap(standIn.received("session.update")[0].object["session"] as? [String: Any])
        XCTAssertEqual(first["instructions"] as? String, triage.instance.descriptor.agent?.instructions)
        XCTAssertEqual((first["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["escalate_to_human", toBilling])
        speak(call.brain)
        XCTAssertEqual(standIn.waitFor("session.update", count: 2).count, 2)
        let second = try XCTUnwrap(standIn.received("session.update")[1].object["session"] as? [String: Any])
        XCTAssertEqual(second["instructions"] as? String, billing.instance.descriptor.agent?.instructions)
        let billingTools = (second["tools"] as? [[String: Any]]) ?? []
        XCTAssertEqual(billingTools.compactMap { $0["name"] as? String }, ["check_billing", "escalate_to_human", ModelBrain.transferName(triage.name)])
        XCTAssertNotNil(billingTools.first?["parameters"] as? [String: Any], "the tool plugin's JSON schema")
        XCTAssertTrue(waitFor { call.events.value.contains(.turnEnd(agent: billing.name)) })
        speak(call.brain)
        XCTAssertTrue(waitFor { call.events.value.contains(.agent(agent: billing.name, text: "Your balance is 42 dollars 50.")) })
        // The canned tool plugin's answer went back to the model as the function's output.
        let outputs = standIn.received("conversation.item.create").compactMap { ($0.object["item"] as? [String: Any])?["output"] as? String }
        XCTAssertEqual(outputs.count, 2)
        XCTAssertTrue(outputs[1].contains("\"balance\":42.5"), outputs[1])
        let types = call.events.value.map(\.type)
        XCTAssertEqual(types.filter { $0 != "speech_started" && $0 != "speech_stopped" },
                       ["user", "handoff", "agent", "turn_end", "user", "tool_call", "tool_result", "agent", "turn_end"])
        XCTAssertTrue(call.events.value.contains(.handoff(from: triage.name, to: billing.name, reason: "billing question")))
        XCTAssertEqual(call.brain.currentAgent.id, billing.id)
        XCTAssertGreaterThan(call.audio.value, 0)
        XCTAssertNil(call.unavailable.value)
        loop.execute { call.brain.close() }
    }

    func testBargeInTruncatesAndIsReported() throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [.init(heard: "hi", steps: [.say("A long greeting.", milliseconds: 3_000)])]),
                                          deltaIntervalMilliseconds: 100)
        let call = call(standIn)
        standIn.waitFor("session.update")
        speak(call.brain)
        XCTAssertTrue(waitFor { call.audio.value >= 24_000 / 2 })
        loop.execute { call.brain.bargeIn(playedMilliseconds: 420) }
        let truncate = try XCTUnwrap(standIn.waitFor("conversation.item.truncate").first?.object)
        XCTAssertEqual(truncate["audio_end_ms"] as? Int, 420)
        XCTAssertTrue(waitFor { call.events.value.contains(.interrupted(atMilliseconds: 420)) })
    }

    func testAnUnavailableServiceIsReportedOnceForTheFallback() throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: []), failure: .reject(status: 503))
        let call = call(standIn)
        XCTAssertTrue(waitFor { call.unavailable.value != nil })
        XCTAssertTrue(call.unavailable.value?.hasPrefix("Realtime unavailable (rejected)") ?? false, call.unavailable.value ?? "nil")
        XCTAssertEqual(services.metrics.counter("agent_host_realtime_fallbacks_total", labels: ["kind": "rejected"]), 1)
    }
}
