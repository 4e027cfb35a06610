import Foundation
import HostNet
import HostPlugins
import HostSupport
import PluginABI
import TestSupport
import XCTest

/// The CommerceTools plugin (.so) loaded by the real host loader, its tools calling a real
/// reference backend through the host's "agent_host.http/1" on the host's loop.
final class CommerceToolsTests: XCTestCase {
    static let plugin: Result<LoadedPlugin, PluginRefusal> = PluginLoader(directories: []).open(path: BuildProducts.plugin("CommerceTools"))

    var loop: EventLoop!
    var services: HostServices!
    var backend: RunningBackend!
    let logLines = LockedBox<[String]>([])

    override func setUpWithError() throws {
        loop = EventLoop(name: "commerce-tests")
        loop.start()
        let lines = logLines
        services = HostServices(logger: Logger(minimum: .debug, sink: { line in lines.mutate { $0.append(line) } }), loop: loop)
        backend = try RunningBackend()
    }

    override func tearDown() {
        backend?.stop()
        loop?.stop()
    }

    // MARK: helpers

    func settings(url: String? = nil, apiKey: String? = nil, timeout: Int? = nil) -> String {
        var object: [String: Any] = ["backend_url": url ?? backend.url, "api_key": apiKey ?? backend.apiKey]
        if let timeout { object["timeout_ms"] = timeout }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func tool(_ name: String, settings: String? = nil, granted: Set<String>? = nil) throws -> PluginInstance {
        let plugin = try Self.plugin.get()
        let id = "com.agenthost.commerce." + name
        return try PluginInstance.create(id, from: plugin, tenantID: "acme", settingsJSON: settings ?? self.settings(),
                                         grantedExtensions: granted, services: services)
    }

    struct Outcome {
        let status: Int32
        let output: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: Any] ?? [:] }
    }

    /// Invokes a tool and waits (up to `timeout` s) for its one completion.
    func call(_ instance: PluginInstance, _ arguments: String, session: String = "session-7", caller: String = "+15551234567",
              timeout: Double = 10) throws -> Outcome {
        let done = DispatchSemaphore(value: 0)
        let result = LockedBox<[Outcome]>([])
        try instance.invokeTool(callID: services.router.makeID(), sessionID: session, callerID: caller, argumentsJSON: arguments) { status, output in
            result.mutate { $0.append(Outcome(status: status, output: output)) }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + timeout), .success, "the tool completed")
        XCTAssertEqual(result.value.count, 1, "exactly one completion")
        return try XCTUnwrap(result.value.first)
    }

    // MARK: the plugin as the loader sees it

    func testThePluginProvidesSixToolsThatRequireHTTP() throws {
        let plugin = try Self.plugin.get()
        XCTAssertEqual(plugin.components.map(\.id), [
            "com.agenthost.commerce.lookup-order", "com.agenthost.commerce.check-billing", "com.agenthost.commerce.process-refund",
            "com.agenthost.commerce.create-payment-plan", "com.agenthost.commerce.search-faq", "com.agenthost.commerce.escalate-to-human",
        ])
        XCTAssertEqual(plugin.components.compactMap(\.tool?.name), [
            "lookup_order", "check_billing", "process_refund", "create_payment_plan", "search_faq", "escalate_to_human",
        ])
        for component in plugin.components {
            XCTAssertEqual(component.requiredExtensions, ["agent_host.http/1"], component.id)
            XCTAssertEqual(component.version, "1.0.0")
            let schema = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(component.tool!.parametersSchema.utf8)) as? [String: Any])
            XCTAssertEqual(schema["additionalProperties"] as? Bool, false, component.id)
            XCTAssertFalse((schema["required"] as? [String] ?? []).isEmpty, component.id)
        }
        XCTAssertEqual(plugin.components.first?.displayName, "Lookup Order")
    }

    func testAHostWithoutHTTPRefusesToLoadThePlugin() {
        let loader = PluginLoader(directories: [], availableExtensions: ["agent_host.timer/1", "agent_host.metrics/1"])
        guard case .failure(let refusal) = loader.open(path: BuildProducts.plugin("CommerceTools")) else {
            return XCTFail("loaded on a host without agent_host.http/1")
        }
        XCTAssertTrue(refusal.reason.contains("agent_host.http/1"), refusal.reason)
    }

    // MARK: each tool against the backend

    func testLookupOrderReturnsTheBackendsOrderAndNormalisesTheID() throws {
        let lookup = try tool("lookup-order")
        let found = try call(lookup, #"{"order_id":"ORD-12345"}"#)
        XCTAssertEqual(found.status, AH_OK, found.output)
        XCTAssertEqual(found.json["id"] as? String, "ORD-12345")
        XCTAssertEqual(found.json["status"] as? String, "delivered")
        XCTAssertEqual(found.json["refund_eligible"] as? Bool, true)

        let lowercase = try call(lookup, #"{"order_id":" ord-77310 "}"#)
        XCTAssertEqual(lowercase.status, AH_OK, lowercase.output)
        XCTAssertEqual(lowercase.json["id"] as? String, "ORD-77310")
    }

    func testAnUnknownOrderIsANotFoundFailureWithAMessage() throws {
        let missing = try call(try tool("lookup-order"), #"{"order_id":"ORD-99999"}"#)
        XCTAssertEqual(missing.status, AH_ERR_NOT_FOUND)
        XCTAssertEqual(missing.output, "order ORD-99999 not found")
    }

    func testAMalformedOrderIDNeverReachesTheBackend() throws {
        let malformed = try call(try tool("lookup-order"), #"{"order_id":"../billing/CUST-1001"}"#)
        XCTAssertEqual(malformed.status, AH_ERR_INVALID_ARGUMENT)
        XCTAssertTrue(malformed.output.contains("ORD-12345"), malformed.output)
        XCTAssertFalse(logLines.value.contains { $0.contains("HTTP GET") }, "no request was made")
    }

    func testCheckBillingReturnsTheAccountAndNotFoundForAnUnknownCustomer() throws {
        let billing = try tool("check-billing")
        let account = try call(billing, #"{"customer_id":"cust-1001"}"#)
        XCTAssertEqual(account.status, AH_OK, account.output)
        XCTAssertEqual(account.json["customer_id"] as? String, "CUST-1001")
        XCTAssertNotNil(account.json["invoices"] as? [Any])

        let missing = try call(billing, #"{"customer_id":"CUST-9"}"#)
        XCTAssertEqual(missing.status, AH_ERR_NOT_FOUND)
        XCTAssertEqual(missing.output, "customer CUST-9 not found")
    }

    func testARefundIsApprovedOnceThenRefusedAsAlreadyRefunded() throws {
        let refund = try tool("process-refund")
        let approved = try call(refund, #"{"order_id":"ORD-12345","reason":"arrived damaged"}"#)
        XCTAssertEqual(approved.status, AH_OK, approved.output)
        XCTAssertEqual(approved.json["status"] as? String, "approved")
        XCTAssertEqual(approved.json["order_id"] as? String, "ORD-12345")
        XCTAssertTrue((approved.json["refund_id"] as? String ?? "").hasPrefix("RF-"), approved.output)

        let again = try call(refund, #"{"order_id":"ORD-12345","reason":"arrived damaged"}"#)
        XCTAssertEqual(again.status, AH_OK, "a business refusal is an answer, not a failure: \(again.output)")
        XCTAssertEqual(again.json["refused"] as? Bool, true)
        XCTAssertEqual(again.json["code"] as? String, "already_refunded")
        XCTAssertTrue((again.json["reason"] as? String ?? "").contains("already refunded"), again.output)
    }

    func testAPartialRefundSendsTheAmount() throws {
        let partial = try call(try tool("process-refund"), #"{"order_id":"ORD-77310","reason":"scratched top","amount":50}"#)
        XCTAssertEqual(partial.status, AH_OK, partial.output)
        XCTAssertEqual((partial.json["amount"] as? NSNumber)?.doubleValue, 50)
    }

    func testARefundOutsideTheReturnWindowIsRefusedWithTheBackendsReason() throws {
        // Ask the backend which fixture order was delivered more than 30 days ago.
        let lookup = try call(try tool("lookup-order"), #"{"order_id":"ORD-45045"}"#)
        XCTAssertEqual(lookup.status, AH_OK, lookup.output)
        XCTAssertGreaterThan(lookup.json["days_since_delivery"] as? Int ?? 0, 30, lookup.output)
        XCTAssertEqual(lookup.json["refund_eligible"] as? Bool, false)

        let refused = try call(try tool("process-refund"), #"{"order_id":"ORD-45045","reason":"stopped working"}"#)
        XCTAssertEqual(refused.status, AH_OK, refused.output)
        XCTAssertEqual(refused.json["refused"] as? Bool, true)
        XCTAssertEqual(refused.json["code"] as? String, "outside_window")
        XCTAssertTrue((refused.json["reason"] as? String ?? "").contains("30 days"), refused.output)

        let notDelivered = try call(try tool("process-refund"), #"{"order_id":"ORD-31337","reason":"changed my mind"}"#)
        XCTAssertEqual(notDelivered.json["code"] as? String, "not_delivered", notDelivered.output)
    }

    func testAPaymentPlanIsCreatedRefusedWhenOneExistsAndBadMonthsAreInvalid() throws {
        let plans = try tool("create-payment-plan")
        let created = try call(plans, #"{"customer_id":"CUST-1002","months":3}"#)
        XCTAssertEqual(created.status, AH_OK, created.output)
        XCTAssertEqual(created.json["months"] as? Int, 3)
        XCTAssertNotNil(created.json["plan_id"] as? String, created.output)

        let exists = try call(plans, #"{"customer_id":"CUST-1004","months":6}"#)
        XCTAssertEqual(exists.status, AH_OK, exists.output)
        XCTAssertEqual(exists.json["refused"] as? Bool, true)
        XCTAssertEqual(exists.json["code"] as? String, "plan_exists")

        let badMonths = try call(plans, #"{"customer_id":"CUST-1003","months":24}"#)
        XCTAssertEqual(badMonths.status, AH_ERR_INVALID_ARGUMENT)
        XCTAssertEqual(badMonths.output, "field 'months' must be between 2 and 12, got 24", "the backend's reason")

        let unknown = try call(plans, #"{"customer_id":"CUST-9","months":3}"#)
        XCTAssertEqual(unknown.status, AH_ERR_NOT_FOUND)
        XCTAssertEqual(unknown.output, "customer CUST-9 not found")
    }

    func testSearchFAQReturnsTheBackendsResultsWithADefaultTopK() throws {
        let search = try tool("search-faq")
        let canada = try call(search, #"{"query":"do you ship to canada"}"#)
        XCTAssertEqual(canada.status, AH_OK, canada.output)
        let results = try XCTUnwrap(canada.json["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 3, "top_k defaults to 3")
        XCTAssertEqual(results.first?["id"] as? String, "faq-shipping-canada")

        let one = try call(search, #"{"query":"return policy","top_k":1}"#)
        XCTAssertEqual((one.json["results"] as? [Any])?.count, 1, one.output)
    }

    func testEscalateToHumanOpensATicketForTheCallerAndSession() throws {
        let escalate = try tool("escalate-to-human")
        let ticket = try call(escalate, #"{"department":"Billing","reason":"disputes a charge twice"}"#)
        XCTAssertEqual(ticket.status, AH_OK, ticket.output)
        XCTAssertEqual(ticket.json["department"] as? String, "billing")
        XCTAssertNotNil(ticket.json["ticket_id"] as? String, ticket.output)
        XCTAssertEqual(ticket.json["position"] as? Int, 1)
        XCTAssertNotNil(ticket.json["wait_minutes"] as? Int)

        let second = try call(escalate, #"{"department":"billing","reason":"wants a supervisor"}"#, session: "session-8", caller: "+15550001111")
        XCTAssertEqual(second.json["position"] as? Int, 2, second.output)
    }

    // MARK: credentials, outages, timeouts

    func testAWrongAPIKeyIsAnUnavailableFailureAboutCredentials() throws {
        let lookup = try tool("lookup-order", settings: settings(apiKey: "not-the-key"))
        let rejected = try call(lookup, #"{"order_id":"ORD-12345"}"#)
        XCTAssertEqual(rejected.status, AH_ERR_UNAVAILABLE)
        XCTAssertTrue(rejected.output.contains("rejected our credentials"), rejected.output)
    }

    func testAStoppedBackendIsAnUnavailableFailureNotACrash() throws {
        let lookup = try tool("lookup-order")
        XCTAssertEqual(try call(lookup, #"{"order_id":"ORD-12345"}"#).status, AH_OK)
        backend.stop()
        let down = try call(lookup, #"{"order_id":"ORD-12345"}"#)
        XCTAssertEqual(down.status, AH_ERR_UNAVAILABLE)
        XCTAssertEqual(down.output, "the order system cannot be reached right now; please try again later")

        let nobody = try call(try tool("check-billing", settings: settings(url: "http://127.0.0.1:\(unusedPort())")), #"{"customer_id":"CUST-1001"}"#)
        XCTAssertEqual(nobody.status, AH_ERR_UNAVAILABLE, nobody.output)
    }

    func testABackendThatNeverAnswersTimesOutWithinTheSetting() throws {
        let silent = try SilentServer()
        defer { silent.stop() }
        let lookup = try tool("lookup-order", settings: settings(url: silent.url, timeout: 200))
        let started = Date()
        let late = try call(lookup, #"{"order_id":"ORD-12345"}"#)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(late.status, AH_ERR_TIMEOUT)
        XCTAssertEqual(late.output, "the order system did not answer in time; please try again in a moment")
        XCTAssertGreaterThanOrEqual(elapsed, 0.15)
        XCTAssertLessThan(elapsed, 1.0, "timed out near 200 ms, not the 10 s default")
    }

    func testCancellingAToolCallCompletesItOnceAsCancelled() throws {
        let silent = try SilentServer()
        defer { silent.stop() }
        let lookup = try tool("lookup-order", settings: settings(url: silent.url, timeout: 5000))
        let done = DispatchSemaphore(value: 0)
        let results = LockedBox<[Int32]>([])
        let callID = services.router.makeID()
        try lookup.invokeTool(callID: callID, sessionID: "s", callerID: "c", argumentsJSON: #"{"order_id":"ORD-12345"}"#) { status, _ in
            results.mutate { $0.append(status) }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.1)
        lookup.cancelTool(callID: callID)
        XCTAssertEqual(done.wait(timeout: .now() + 2), .success)
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(results.value, [AH_ERR_CANCELLED])
    }

    // MARK: settings and grants

    func testMissingOrInvalidBackendURLFailsCreationWithAClearMessage() throws {
        for bad in [#"{}"#, #"{"backend_url":""}"#, #"{"backend_url":42}"#, #"{"backend_url":"ftp://example.com"}"#, #"{"backend_url":"127.0.0.1:8090"}"#] {
            XCTAssertThrowsError(try tool("lookup-order", settings: bad), bad) { error in
                let failure = error as? PluginInstance.Failure
                XCTAssertEqual(failure?.status, AH_ERR_INVALID_ARGUMENT, bad)
                XCTAssertTrue(failure?.message.contains("settings.backend_url is missing") ?? false, "\(error)")
            }
        }
        XCTAssertThrowsError(try tool("search-faq", settings: settings(timeout: 0))) { error in
            XCTAssertTrue("\(error)".contains("settings.timeout_ms"), "\(error)")
        }
        XCTAssertThrowsError(try tool("search-faq", settings: #"{"backend_url":"http://127.0.0.1:1","api_key":7}"#)) { error in
            XCTAssertTrue("\(error)".contains("settings.api_key"), "\(error)")
        }
    }

    func testAToolIsNotCreatedForATenantNotGrantedHTTP() throws {
        XCTAssertThrowsError(try tool("lookup-order", granted: ["agent_host.metrics/1", "agent_host.timer/1"])) { error in
            XCTAssertEqual((error as? PluginInstance.Failure)?.status, AH_ERR_NOT_PERMITTED)
            XCTAssertTrue("\(error)".contains("agent_host.http/1"), "\(error)")
        }
        // Without a loop the host offers no HTTP at all.
        let loopless = HostServices()
        XCTAssertFalse(loopless.providedExtensions.contains("agent_host.http/1"))
        XCTAssertThrowsError(try PluginInstance.create("com.agenthost.commerce.search-faq", from: try Self.plugin.get(), tenantID: "acme",
                                                       settingsJSON: settings(), services: loopless)) { error in
            XCTAssertTrue("\(error)".contains("agent_host.http/1"), "\(error)")
        }
    }

    func testLogsNameRequestsButNeverBodiesOrCredentials() throws {
        let refund = try call(try tool("process-refund"), #"{"order_id":"ORD-77310","reason":"wobbly legs on arrival"}"#)
        XCTAssertEqual(refund.status, AH_OK, refund.output)
        _ = try call(try tool("lookup-order", settings: settings(apiKey: "wrong-secret-key")), #"{"order_id":"ORD-12345"}"#)
        let lines = logLines.value
        XCTAssertTrue(lines.contains { $0.contains("HTTP POST \(backend.url)/api/refunds: 201") }, "\(lines)")
        for line in lines {
            XCTAssertFalse(line.contains(backend.apiKey) || line.contains("wrong-secret-key") || line.contains("Bearer"), line)
            XCTAssertFalse(line.contains("wobbly legs"), "no request body in logs: \(line)")
            XCTAssertFalse(line.contains("Oakline"), "no response body in logs: \(line)")
        }
    }
}
