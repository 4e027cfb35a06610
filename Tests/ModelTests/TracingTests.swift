import Foundation
import Host
import HostModels
import HostNet
import HostOrchestration
import HostPlugins
import HostSupport
import HostTestSupport
import ModelStandIn
import TestSupport
import XCTest

/// OpenTelemetry traces (docs/operations.md, "Telemetry") end to end: the real department plugins
/// and CommerceTools against a real support-backend, spans recorded by swift-otel and exported
/// over OTLP/HTTP protobuf to `OTLPReceiver`, a protocol-faithful collector stand-in. The backend
/// sits behind a recording relay, so the test sees the `traceparent` a plugin's HTTP call carried.
final class TracingTests: XCTestCase {
    var receiver: OTLPReceiver!
    var backend: ReferenceBackendProcess!
    var relay: RecordingRelay!
    var telemetry: OTelTracing?
    var loop: EventLoop!
    var services: HostServices!
    let caller = "+15550001234"

    override func setUpWithError() throws {
        receiver = try OTLPReceiver()
        backend = try ReferenceBackendProcess()
        relay = try RecordingRelay(to: backend.url)
    }

    override func tearDown() {
        services?.shutdown()
        loop?.stop()
        telemetry?.shutdown()
        relay?.stop()
        backend?.stop()
        receiver?.stop()
    }

    /// A tenant of the reference plugins served on a loop of its own, traced with `settings` (nil: off).
    func tenant(_ settings: TelemetrySettings?, configure: (inout TenantConfiguration) -> Void = { _ in }) throws -> TenantRuntime {
        telemetry = try settings.map { try OTelTracing($0) }
        loop = EventLoop(name: "traced")
        loop.start()
        services = HostServices(logger: Logger(minimum: .error), loop: loop, tracing: telemetry?.tracing ?? .disabled)
        let catalog = PluginLoader(directories: [BuildProducts.directory]).loadAll()
        var configuration = ReferenceDeployment.tenant(catalog: catalog, backendURL: relay.url, apiKey: backend.apiKey)
        configure(&configuration)
        return try TenantRuntime(configuration: configuration, catalog: catalog, services: services)
    }

    var settings: TelemetrySettings {
        var settings = TelemetrySettings(otlpEndpoint: receiver.endpoint)
        settings.serviceName = "agent-host-test"
        settings.exportIntervalMilliseconds = 100
        return settings
    }

    /// Says `text`, hangs up, and flushes the exporter; the spans the receiver got.
    func converse(_ runtime: TenantRuntime, _ text: String, expectSpans: Bool = true) -> (Turn, [OTLPSpan]) {
        let person = Caller(tenant: runtime, loop: loop, services: services, number: caller)
        let turn = person.say(text)
        person.conversation.end(reason: "caller_hangup")
        let deadline = Date().addingTimeInterval(5)
        while !person.allEvents.contains(where: { $0.type == "end" }), Date() < deadline { usleep(10_000) }
        telemetry?.shutdown()
        // The shutdown flushed the batch; an unsampled trace is given a moment to (wrongly) arrive.
        let spans = receiver.waitFor(seconds: expectSpans ? 10 : 0.5) { $0.contains { $0.name == "session" } }
        XCTAssertEqual(receiver.rejected, [], "every export was valid OTLP/HTTP protobuf")
        return (turn, spans)
    }

    func testAChatTurnIsOneTraceFromSessionToToolCallAndTheBackendJoinsIt() throws {
        let runtime = try tenant(settings)
        let (turn, spans) = converse(runtime, "I need a refund for order ORD-12345")
        XCTAssertEqual(turn.handoffRoutes, ["Triage Agent -> Refund Agent"], turn.json)
        XCTAssertTrue(turn.toolsCalled.contains("lookup_order"), turn.json)

        let session = try XCTUnwrap(spans.first { $0.name == "session" }, "\(spans)")
        let turnSpan = try XCTUnwrap(spans.first { $0.name == "turn" }, "\(spans)")
        let triage = try XCTUnwrap(spans.first { $0.name == "invoke_agent Triage Agent" }, "\(spans)")
        let refund = try XCTUnwrap(spans.first { $0.name == "invoke_agent Refund Agent" }, "\(spans)")
        let handoff = try XCTUnwrap(spans.first { $0.name == "handoff" }, "\(spans)")
        let tool = try XCTUnwrap(spans.first { $0.name == "execute_tool lookup_order" }, "\(spans)")

        XCTAssertEqual(Set(spans.map(\.traceID)).count, 1, "one trace: \(spans)")
        XCTAssertEqual(session.parentSpanID, "", "the session is the root")
        XCTAssertEqual(session.kind, 2, "SPAN_KIND_SERVER")
        XCTAssertEqual(turnSpan.parentSpanID, session.spanID)
        XCTAssertEqual(triage.parentSpanID, turnSpan.spanID)
        XCTAssertEqual(refund.parentSpanID, turnSpan.spanID)
        XCTAssertEqual(handoff.parentSpanID, turnSpan.spanID)
        XCTAssertEqual(tool.parentSpanID, refund.spanID, "the tool call hangs under the step that made it")
        XCTAssertLessThanOrEqual(session.startNanoseconds, turnSpan.startNanoseconds)
        XCTAssertGreaterThanOrEqual(session.endNanoseconds, turnSpan.endNanoseconds)

        XCTAssertEqual(session.string("agent_host.tenant"), "demo")
        XCTAssertEqual(session.string("agent_host.session.end_reason"), "caller_hangup")
        XCTAssertEqual(session.resource["service.name"], .string("agent-host-test"))
        XCTAssertEqual(refund.string("gen_ai.operation.name"), "invoke_agent")
        XCTAssertEqual(refund.string("gen_ai.agent.name"), "Refund Agent")
        XCTAssertEqual(refund.string("agent_host.handed_off_from"), "Triage Agent")
        XCTAssertEqual(handoff.string("agent_host.handoff.from"), "Triage Agent")
        XCTAssertEqual(handoff.string("agent_host.handoff.to"), "Refund Agent")
        XCTAssertEqual(tool.string("gen_ai.operation.name"), "execute_tool")
        XCTAssertEqual(tool.string("gen_ai.tool.name"), "lookup_order")
        XCTAssertEqual(tool.statusCode, 0, "the tool succeeded: status unset")

        // Nothing the caller said (or their number) is in any span: the tenant did not opt in.
        for span in spans {
            for text in span.allStrings {
                XCTAssertFalse(text.contains("ORD-12345") || text.contains("refund for order") || text.contains(caller),
                               "caller text in \(span.name): \(text)")
            }
        }
        XCTAssertNil(turnSpan.string("agent_host.turn.input"))
        XCTAssertNil(tool.string("gen_ai.tool.call.arguments"))

        // The backend got the tool span's context (W3C traceparent, sampled).
        let lookups = relay.requests.filter { $0.path.contains("/orders/") }
        XCTAssertFalse(lookups.isEmpty, "the lookup reached the backend through the relay")
        XCTAssertEqual(lookups.first?.headers["traceparent"], "00-\(tool.traceID)-\(tool.spanID)-01")
    }

    func testModelRequestsAreChatSpansWithGenAIAttributesAndCarryTheirTraceparent() throws {
        let standIn = ChatCompletionsStandIn(apiKey: "sk-trace")
        _ = try standIn.start()
        defer { standIn.stop() }
        var endpoint = ChatCompletionsEndpoint(baseURL: standIn.baseURL, model: "gpt-4o-mini", apiKey: Secret("sk-trace"))
        endpoint.maxRetries = 0
        let runtime = try tenant(settings) { $0.model = endpoint }
        standIn.enqueue(
            .toolCalls([StandInToolCall("transfer_to_refund_agent", #"{"reason":"refund request"}"#)]),
            .toolCalls([StandInToolCall("lookup_order", #"{"order_id":"ORD-12345"}"#)]),
            .text("I found order ORD-12345. It qualifies for a refund, shall I go ahead?"))
        let (turn, spans) = converse(runtime, "I need a refund for order ORD-12345")
        XCTAssertEqual(turn.handoffRoutes, ["Triage Agent -> Refund Agent"], turn.json)

        let triage = try XCTUnwrap(spans.first { $0.name == "invoke_agent Triage Agent" }, "\(spans)")
        let refund = try XCTUnwrap(spans.first { $0.name == "invoke_agent Refund Agent" }, "\(spans)")
        let chats = spans.filter { $0.name == "chat gpt-4o-mini" }.sorted { $0.startNanoseconds < $1.startNanoseconds }
        XCTAssertEqual(chats.count, 3, "one per request: \(spans)")
        XCTAssertEqual(chats.map(\.parentSpanID), [triage.spanID, refund.spanID, refund.spanID])
        let tool = try XCTUnwrap(spans.first { $0.name == "execute_tool lookup_order" })
        XCTAssertEqual(tool.parentSpanID, refund.spanID)
        for chat in chats {
            XCTAssertEqual(chat.kind, 3, "SPAN_KIND_CLIENT")
            XCTAssertEqual(chat.string("gen_ai.operation.name"), "chat")
            XCTAssertEqual(chat.string("gen_ai.request.model"), "gpt-4o-mini")
            XCTAssertEqual(chat.string("gen_ai.provider.name"), "openai")
            XCTAssertEqual(chat.string("server.address"), "127.0.0.1")
            XCTAssertEqual(chat.traceID, triage.traceID)
        }
        XCTAssertEqual(chats.map { $0.attributes["gen_ai.response.finish_reasons"] },
                       [.array([.string("tool_calls")]), .array([.string("tool_calls")]), .array([.string("stop")])])
        // Each request carried its own chat span's context.
        let sent = standIn.requests.map { $0.headers["traceparent"] }
        XCTAssertEqual(sent, chats.map { "00-\($0.traceID)-\($0.spanID)-01" })
        for span in spans { XCTAssertFalse(span.allStrings.contains { $0.contains("ORD-12345") }, "caller text in \(span.name)") }
    }

    func testAnEscalationsToolCallIsASpanOfTheTurnWithoutTheHandoverText() throws {
        let runtime = try tenant(settings)
        let (turn, spans) = converse(runtime, "let me talk to a person")
        XCTAssertNotNil(turn.escalation, turn.json)
        let turnSpan = try XCTUnwrap(spans.first { $0.name == "turn" }, "\(spans)")
        let escalation = try XCTUnwrap(spans.first { $0.name == "execute_tool escalate_to_human" }, "\(spans)")
        XCTAssertEqual(escalation.parentSpanID, turnSpan.spanID, "the step that asked has ended: under the turn")
        XCTAssertEqual(escalation.string("gen_ai.tool.name"), "escalate_to_human")
        XCTAssertNil(escalation.string("gen_ai.tool.call.arguments"), "the handover carries the transcript: not without opting in")
        XCTAssertEqual(spans.first { $0.name == "session" }?.string("agent_host.session.end_reason"), "escalated")
    }

    func testATenantThatOptsInGetsItsCallersWordsRedacted() throws {
        let runtime = try tenant(settings) { configuration in
            configuration.telemetry.includeContent = true
            configuration.telephony.redaction = Redaction([.cardNumber])
        }
        let (_, spans) = converse(runtime, "refund order ORD-12345 paid with card 4111 1111 1111 1111")
        let turnSpan = try XCTUnwrap(spans.first { $0.name == "turn" }, "\(spans)")
        let input = try XCTUnwrap(turnSpan.string("agent_host.turn.input"))
        XCTAssertTrue(input.contains("ORD-12345"), input)
        XCTAssertTrue(input.contains("[card number]"), input)
        XCTAssertFalse(spans.flatMap(\.allStrings).contains { $0.contains("4111 1111") }, "redacted everywhere")
        XCTAssertEqual(spans.first { $0.name == "session" }?.string("agent_host.caller.id"), caller)
    }

    /// Isolated plugins (runner processes): the runner names the tool call it was invoking when the
    /// plugin made its request, and the host gives that request the call's span, as in-process.
    func testAnIsolatedToolsBackendRequestJoinsTheToolCallsSpan() throws {
        let runtime = try tenant(settings) { $0.defaultIsolation = PluginIsolation(mode: .process) }
        let (turn, spans) = converse(runtime, "I need a refund for order ORD-12345")
        XCTAssertTrue(turn.toolsCalled.contains("lookup_order"), turn.json)
        let tool = try XCTUnwrap(spans.first { $0.name == "execute_tool lookup_order" }, "\(spans.map(\.name))")
        let lookups = relay.requests.filter { $0.path.contains("/orders/") }
        XCTAssertFalse(lookups.isEmpty, "the isolated lookup reached the backend through the relay")
        XCTAssertEqual(lookups.first?.headers["traceparent"], "00-\(tool.traceID)-\(tool.spanID)-01")
    }

    /// A Realtime model's turn as the host records it, with the caller's transcript arriving late —
    /// after the tool call and `turn_end`, as OpenAI's asynchronous transcription may: one turn,
    /// opened when the caller stopped speaking, its tool under its step, and no second turn.
    func testARealtimeTurnWhoseTranscriptArrivesLateIsStillOneTurn() throws {
        let runtime = try tenant(settings)
        let ended = DispatchSemaphore(value: 0)
        let conversation = Conversation(tenant: runtime, caller: caller, loop: loop, services: services) { event in
            if event.type == "end" { ended.signal() }
        }
        conversation.start()
        for event: ConversationEvent in [
            .speechStarted(atMilliseconds: 100), .speechStopped(atMilliseconds: 1_900),
            .toolCall(agent: "Triage Agent", tool: "lookup_order", callID: "call_1", argumentsJSON: #"{"order_id":"ORD-12345"}"#),
            .toolResult(tool: "lookup_order", callID: "call_1", ok: true, output: "{}"),
            .agent(agent: "Triage Agent", text: "It was delivered."), .turnEnd(agent: "Triage Agent"),
            .user(text: "where is order ORD-12345", final: true),
        ] { conversation.record(external: event) }
        conversation.end(reason: "caller_hangup")
        XCTAssertEqual(ended.wait(timeout: .now() + 5), .success)
        telemetry?.shutdown()
        let spans = receiver.waitFor(seconds: 10) { $0.contains { $0.name == "session" } }
        let turns = spans.filter { $0.name == "turn" }
        XCTAssertEqual(turns.count, 1, "the late transcript opened no turn of its own: \(spans.map(\.name))")
        let turn = try XCTUnwrap(turns.first)
        XCTAssertEqual(turn.statusCode, 0, "the turn ended at turn_end, not cut short")
        XCTAssertEqual(turn.string("agent_host.turn.agent"), "Triage Agent")
        let step = try XCTUnwrap(spans.first { $0.name == "invoke_agent Triage Agent" })
        XCTAssertEqual(step.parentSpanID, turn.spanID)
        XCTAssertEqual(spans.first { $0.name == "execute_tool lookup_order" }?.parentSpanID, step.spanID)
    }

    func testASampleRatioOfZeroExportsNothingButStillPropagatesAndOffAddsNoHeader() throws {
        var unsampled = settings
        unsampled.sampleRatio = 0
        let runtime = try tenant(unsampled)
        let (turn, spans) = converse(runtime, "I need a refund for order ORD-12345", expectSpans: false)
        XCTAssertTrue(turn.toolsCalled.contains("lookup_order"), turn.json)
        XCTAssertTrue(spans.isEmpty, "nothing sampled, nothing exported: \(spans)")
        let header = try XCTUnwrap(relay.requests.first { $0.path.contains("/orders/") }?.headers["traceparent"])
        XCTAssertTrue(header.hasPrefix("00-") && header.hasSuffix("-00"), "propagated, marked not sampled: \(header)")

        // Tracing off: no header at all.
        services.shutdown()
        loop.stop()
        relay.clear()
        let off = try tenant(nil)
        _ = Caller(tenant: off, loop: loop, services: services, number: caller).say("I need a refund for order ORD-12345")
        let lookups = relay.requests.filter { $0.path.contains("/orders/") }
        XCTAssertFalse(lookups.isEmpty)
        XCTAssertNil(lookups.first?.headers["traceparent"])
    }
}

/// Forwards every request to the real support-backend and remembers what arrived (method, path,
/// headers), so a test sees the headers a plugin's HTTP call carried.
final class RecordingRelay: @unchecked Sendable {
    struct Seen: Sendable {
        let method: String
        let path: String
        let headers: HTTPHeaders
    }

    private let loop = EventLoop(name: "relay")
    private var server: HTTPServer!
    private let client: HTTPClient
    private let seen = LockedBox<[Seen]>([])

    init(to target: String) throws {
        loop.start()
        client = HTTPClient(loop: loop)
        let seen = self.seen
        let client = self.client
        server = HTTPServer(loop: loop) { request, respond in
            seen.mutate { $0.append(Seen(method: request.method, path: request.path, headers: request.headers)) }
            var headers = HTTPHeaders()
            for (name, value) in request.headers.fields where !["host", "content-length", "connection"].contains(name.lowercased()) {
                headers.add(name, value)
            }
            client.send(ClientRequest(method: request.method, url: target + request.target, headers: headers, body: request.body)) { result in
                switch result {
                case .success(let response):
                    respond(HTTPResponse(status: response.status, headers: ["Content-Type": response.headers["Content-Type"] ?? "application/json"],
                                         body: response.body))
                case .failure(let error):
                    respond(HTTPResponse(status: 502, text: error.message))
                }
            }
        }
        try server.start()
    }

    var url: String { "http://127.0.0.1:\(server.port)" }
    var requests: [Seen] { seen.value }
    func clear() { seen.mutate { $0.removeAll() } }

    func stop() {
        client.close()
        server.stop()
        loop.stop()
    }
}
