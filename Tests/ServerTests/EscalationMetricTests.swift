import Foundation
import HostModels
import HostSpeech
import HostVoice
import ModelStandIn
import XCTest

/// `agent_host_escalations_total{tenant,department}` in `/metrics` of a real server, for each way
/// a caller reaches a person: a chat turn of the offline brain, a cascaded voice call, a turn
/// driven by a model (the Realtime brain's escalation is checked in RealtimeVoiceTests).
final class EscalationMetricTests: ServerTestCase {
    func metric(tenant: String, department: String) async throws -> String? {
        let body = try await request("GET", "/metrics").body
        let prefix = #"agent_host_escalations_total{department="\#(department)",tenant="\#(tenant)"} "#
        return body.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    func testChatAndVoiceEscalationsAreCountedByTenantAndDepartment() async throws {
        try startServer()
        server.voice = try await VoiceServices.offline(tenants: [deployment.tenant])
        let before = try await request("GET", "/metrics").body
        XCTAssertTrue(before.contains("# TYPE agent_host_escalations_total counter"), "described before any escalation")
        let none = try await metric(tenant: "demo", department: "general")
        XCTAssertNil(none, "no sample before the first escalation")

        let person = try await chat("let me talk to a person", caller: "+15550000001")
        XCTAssertTrue(person.types.contains("escalated"), "\(person.types)")
        let demoGeneral = try await metric(tenant: "demo", department: "general")
        XCTAssertEqual(demoGeneral, "1")

        // A disputed refusal on the keyed tenant goes to the refunds queue.
        let key = [("Authorization", "Bearer s3cret")]
        let refused = try await chat("I want a refund for order ORD-45045", caller: "+15550000002", tenant: "secure", headers: key)
        let session = try XCTUnwrap(refused.json["session_id"] as? String, refused.body)
        let dispute = try await chat("that's not fair, it broke after a week", caller: "+15550000002", session: session, tenant: "secure", headers: key)
        XCTAssertTrue(dispute.types.contains("escalated"), "\(dispute.types)")
        let secureRefunds = try await metric(tenant: "secure", department: "refunds")
        XCTAssertEqual(secureRefunds, "1")

        // A spoken request for a person over the voice socket.
        let call = try VoiceTestCaller(url: base.replacingOccurrences(of: "http://", with: "ws://") + "/ws/voice/%2B15550000003")
        let speech = try await VoiceTestCaller.speech("I want to talk to a person.")
        try await call.stream(VoiceTestCaller.pcmFrames(VoiceTestCaller.silence(milliseconds: 300) + speech + VoiceTestCaller.silence(milliseconds: 1_200)))
        let escalated = try await call.wait { received in received.compactMap(\.json).contains { $0["type"] as? String == "escalated" } }
        call.close()
        XCTAssertTrue(escalated, "the call escalated: \(call.eventTypes)")
        let afterVoice = try await metric(tenant: "demo", department: "general")
        XCTAssertEqual(afterVoice, "2")
        let stillOne = try await metric(tenant: "secure", department: "refunds")
        XCTAssertEqual(stillOne, "1", "counted per tenant and department")
    }

    func testAModelDrivenEscalationIsCounted() async throws {
        let key = "sk-standin-escalation"
        let standIn = ChatCompletionsStandIn(apiKey: key)
        try standIn.start()
        defer { standIn.stop() }
        try startServer { configuration in
            configuration.model = ChatCompletionsEndpoint(baseURL: standIn.baseURL, model: "gpt-4o-mini", apiKey: Secret(key))
        }
        standIn.enqueue(.toolCalls([StandInToolCall("escalate_to_human", #"{"department":"billing","reason":"caller asks for a person"}"#)]))
        let reply = try await chat("get me a real person", caller: "+15550000004")
        XCTAssertTrue(reply.types.contains("escalated"), reply.body)
        XCTAssertEqual(standIn.requests.count, 1, "the model ran the turn")
        let count = try await metric(tenant: "demo", department: "billing")
        XCTAssertEqual(count, "1")
    }
}
