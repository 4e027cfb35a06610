import Foundation
import HostNet
import HostPlugins
import HostSupport
import PluginABI
import TestSupport
import XCTest

/// The Swift SDK's sample plugin through the real loader and host table: sync, Codable and async
/// tools, an agent's actions, tool results fed back into an open step, and extension grants.
final class SwiftPluginTests: XCTestCase {
    var catalog: PluginCatalog!
    var loop: EventLoop!
    var services: HostServices!

    override func setUp() {
        catalog = PluginLoader(directories: [BuildProducts.directory]).loadAll()
        loop = EventLoop(name: "test")
        loop.start()
        services = HostServices(loop: loop)
    }

    override func tearDown() {
        loop.stop()
    }

    func instance(_ id: String, tenant: String = "acme", settings: String = "{}", granted: Set<String>? = nil) throws -> PluginInstance {
        let plugin = try XCTUnwrap(catalog.plugin(providing: id), "loaded: \(catalog.components.map(\.id)) refused: \(catalog.refused)")
        return try PluginInstance.create(id, from: plugin, tenantID: tenant, settingsJSON: settings, grantedExtensions: granted, services: services)
    }

    /// Invokes a tool and waits (up to 5 s) for its one completion.
    func call(_ instance: PluginInstance, _ arguments: String) throws -> (Int32, String) {
        let done = expectation(description: "completion")
        let result = LockedBox<(Int32, String)>((0, ""))
        try instance.invokeTool(callID: services.router.makeID(), sessionID: "s1", callerID: "+1555", argumentsJSON: arguments) { status, output in
            result.value = (status, output)
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
        return result.value
    }

    func testTheSwiftPluginLoadsWithTheHostsToolchain() throws {
        let plugin = try XCTUnwrap(catalog.plugin(providing: "com.agenthost.samples.echo"))
        XCTAssertEqual(plugin.toolchain, HostInfo.swiftToolchain)
        XCTAssertEqual(Set(plugin.components.map(\.id)), [
            "com.agenthost.samples.echo", "com.agenthost.samples.quote", "com.agenthost.samples.delay", "com.agenthost.samples.relay",
        ])
        let quote = try XCTUnwrap(catalog.component("com.agenthost.samples.quote"))
        let schema = try JSONSerialization.jsonObject(with: Data(quote.tool!.parametersSchema.utf8)) as? [String: Any]
        XCTAssertEqual(schema?["type"] as? String, "object")
        XCTAssertEqual(schema?["required"] as? [String], ["sku", "quantity"])
    }

    func testASynchronousToolCompletesBeforeInvokeReturns() throws {
        let echo = try instance("com.agenthost.samples.echo")
        let result = LockedBox<String?>(nil)
        try echo.invokeTool(callID: services.router.makeID(), sessionID: "s", callerID: "c", argumentsJSON: #"{"a":[1,2]}"#) { _, output in
            result.value = output
        }
        XCTAssertEqual(result.value, #"{"a":[1,2]}"#)
    }

    func testCodableArgumentsAreDecodedAndSettingsApplyPerTenant() throws {
        let quote = try instance("com.agenthost.samples.quote", settings: #"{"currency":"EUR"}"#)
        let (status, output) = try call(quote, #"{"sku":"MUG-01","quantity":3}"#)
        XCTAssertEqual(status, AH_OK)
        XCTAssertEqual(output, #"{"currency":"EUR","quantity":3,"sku":"MUG-01","total":37.5,"unit_price":12.5}"#)
    }

    func testArgumentsThatDoNotMatchAreRefusedNamingTheField() throws {
        let quote = try instance("com.agenthost.samples.quote")
        XCTAssertThrowsError(try quote.invokeTool(callID: services.router.makeID(), sessionID: "s", callerID: "c",
                                                  argumentsJSON: #"{"sku":"MUG-01"}"#) { _, _ in XCTFail("no completion for a refused call") }) { error in
            let failure = error as? PluginInstance.Failure
            XCTAssertEqual(failure?.status, AH_ERR_INVALID_ARGUMENT)
            XCTAssertEqual(failure?.message, "quote_price: invalid arguments: missing field 'quantity'")
        }
        XCTAssertThrowsError(try quote.invokeTool(callID: services.router.makeID(), sessionID: "s", callerID: "c",
                                                  argumentsJSON: "not json") { _, _ in }) { error in
            XCTAssertTrue((error as? PluginInstance.Failure)?.message.contains("not valid JSON") ?? false, "\(error)")
        }
        XCTAssertEqual(services.router.pendingCalls, 0)
    }

    func testAThrownErrorBecomesAFailedCompletionWithItsMessage() throws {
        let quote = try instance("com.agenthost.samples.quote")
        let (status, output) = try call(quote, #"{"sku":"NOPE-9","quantity":1}"#)
        XCTAssertEqual(status, AH_ERR_NOT_FOUND)
        XCTAssertEqual(output, "no item NOPE-9 in the catalogue")
    }

    func testAnAsynchronousToolCompletesLaterThroughTheHostTimer() throws {
        let delay = try instance("com.agenthost.samples.delay")
        let started = DispatchTime.now()
        let (status, output) = try call(delay, #"{"milliseconds":50}"#)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        XCTAssertEqual(status, AH_OK)
        XCTAssertEqual(output, "waited 50 ms")
        XCTAssertGreaterThanOrEqual(elapsed, 45, "the timer really waited")
    }

    func testAComponentNeedingAnExtensionTheTenantIsNotGrantedIsNotCreated() throws {
        XCTAssertThrowsError(try instance("com.agenthost.samples.delay", granted: ["agent_host.metrics/1"])) { error in
            XCTAssertEqual((error as? PluginInstance.Failure)?.status, AH_ERR_NOT_PERMITTED)
            XCTAssertTrue("\(error)".contains("agent_host.timer/1"), "\(error)")
        }
    }

    func testBadSettingsAreRefusedAtCreateWithTheReason() throws {
        XCTAssertThrowsError(try instance("com.agenthost.samples.quote", settings: "[1,2]")) { error in
            XCTAssertEqual((error as? PluginInstance.Failure)?.status, AH_ERR_INVALID_ARGUMENT)
            XCTAssertTrue("\(error)".contains("settings must be a JSON object"), "\(error)")
        }
    }

    func testAnAgentCallsAToolAndContinuesWithItsResultInTheSameStep() throws {
        let relay = try instance("com.agenthost.samples.relay")
        let echo = try instance("com.agenthost.samples.echo")
        let sink = ToolRoutingSink(services: services, tools: ["echo": echo])
        let stepID = services.router.makeID()
        sink.agent = relay
        sink.stepID = stepID
        try relay.step(stepID: stepID, sessionID: "s1", input: #"tool echo {"x":1}"#,
                       contextJSON: #"{"session_id":"s1","input":"tool echo {\"x\":1}","state":{"turns":2}}"#, sink: sink)
        sink.wait(self)
        XCTAssertEqual(sink.events.value, [
            #"state:{"turns":3}"#, #"tool:echo {"x":1}"#, #"say:Result: {"x":1}"#, "done:0",
        ])
    }

    func testAnAgentsThrownErrorFinishesTheStepWithItsStatusAndMessage() throws {
        let relay = try instance("com.agenthost.samples.relay")
        let sink = ToolRoutingSink(services: services, tools: [:])
        try relay.step(stepID: services.router.makeID(), sessionID: "s1", input: "fail",
                       contextJSON: #"{"session_id":"s1","input":"fail"}"#, sink: sink)
        sink.wait(self)
        XCTAssertEqual(sink.events.value.last, "done:\(AH_ERR_UNAVAILABLE):the relay's backend is down")
    }

    func testAnUnreadableContextIsRefusedWithoutOpeningAStep() throws {
        let relay = try instance("com.agenthost.samples.relay")
        let sink = ToolRoutingSink(services: services, tools: [:])
        XCTAssertThrowsError(try relay.step(stepID: services.router.makeID(), sessionID: "s1", input: "hi", contextJSON: "{", sink: sink))
        XCTAssertEqual(services.router.openSteps, 0)
    }
}

/// A StepSink that runs the agent's tool calls against given instances, feeding results back into
/// the open step as the orchestration does.
final class ToolRoutingSink: StepSink, @unchecked Sendable {
    let events = LockedBox<[String]>([])
    let services: HostServices
    let tools: [String: PluginInstance]
    var agent: PluginInstance?
    var stepID: UInt64 = 0
    private let finished = DispatchSemaphore(value: 0)

    init(services: HostServices, tools: [String: PluginInstance]) {
        self.services = services
        self.tools = tools
    }

    func wait(_ test: XCTestCase) {
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success, "the step finished")
    }

    func say(_ text: String) -> ah_status_t { events.mutate { $0.append("say:\(text)") }; return AH_OK }

    func callTool(_ name: String, argumentsJSON: String) -> (ah_status_t, UInt64) {
        guard let tool = tools[name] else { return (AH_ERR_NOT_PERMITTED, 0) }
        events.mutate { $0.append("tool:\(name) \(argumentsJSON)") }
        let callID = services.router.makeID()
        let agent = self.agent, stepID = self.stepID
        DispatchQueue.global().async {
            try? tool.invokeTool(callID: callID, sessionID: "s1", callerID: "c", argumentsJSON: argumentsJSON) { status, output in
                agent?.deliverToolResult(stepID: stepID, callID: callID, status: status, output: output)
            }
        }
        return (AH_OK, callID)
    }

    func handoff(to agentID: String, reason: String?) -> ah_status_t { events.mutate { $0.append("handoff:\(agentID)") }; return AH_OK }
    func escalate(department: String, reason: String?) -> ah_status_t { events.mutate { $0.append("escalate:\(department)") }; return AH_OK }
    func endSession(reason: String?) -> ah_status_t { events.mutate { $0.append("end:\(reason ?? "")") }; return AH_OK }
    func setState(_ json: String) -> ah_status_t { events.mutate { $0.append("state:\(json)") }; return AH_OK }
    func stepDone(status: ah_status_t, message: String?) {
        events.mutate { $0.append(message.map { "done:\(status):\($0)" } ?? "done:\(status)") }
        finished.signal()
    }
}
