import Foundation
import HostNet
@testable import HostPlugins
import HostSupport
import PluginABI
import TestSupport
import XCTest

/// "agent_host.http/1" at the C level: the table a plugin gets from get_extension, called as a C
/// plugin would, against an in-process stub server on its own loop.
final class HTTPExtensionTests: XCTestCase {
    var hostLoop: EventLoop!
    var serverLoop: EventLoop!
    var server: HTTPServer!
    var services: HostServices!
    var table: HostTable!
    var http: UnsafePointer<ah_host_http_t>!
    let requests = LockedBox<[HostNet.HTTPRequest]>([])

    override func setUpWithError() throws {
        hostLoop = EventLoop(name: "host")
        hostLoop.start()
        serverLoop = EventLoop(name: "stub-server")
        serverLoop.start()
        let seen = requests
        server = HTTPServer(loop: serverLoop) { request, respond in
            seen.mutate { $0.append(request) }
            switch request.path {
            case "/echo":
                respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain", "X-Echo-Method": request.method], body: request.body))
            case "/teapot":
                respond(HTTPResponse(status: 418, headers: [:], body: Array("short and stout".utf8)))
            case "/api/escalate":
                respond(HTTPResponse(status: 201, headers: ["Content-Type": "application/json"],
                                     body: Array(#"{"ticket_id":"ESC-000001","department":"billing","position":1,"wait_minutes":4}"#.utf8)))
            case "/api/orders/ORD-12345":
                respond(HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array("not json at all <html>".utf8)))
            default:
                respond(HTTPResponse(status: 503, headers: [:], body: []))
            }
        }
        try server.start()
        services = HostServices(logger: Logger(minimum: .error), loop: hostLoop)
        table = HostTable(context: InstanceContext(pluginID: "com.example.c-plugin", tenantID: "acme", services: services, granted: [AH_EXT_HTTP]))
        let raw = try XCTUnwrap(table.pointer.pointee.get_extension(table.pointer, AH_EXT_HTTP), "granted and provided")
        http = UnsafePointer(raw.assumingMemoryBound(to: ah_host_http_t.self))
    }

    override func tearDown() {
        server?.stop()
        serverLoop?.stop()
        hostLoop?.stop()
    }

    var base: String { "http://127.0.0.1:\(server.port)" }

    // MARK: a C-style caller

    struct Delivery: Sendable {
        let status: Int32
        let httpStatus: Int32
        let headers: [String: String]
        let body: String
        let bodyIsTerminated: Bool
        let message: String?
        let onHostLoop: Bool
    }

    /// The plugin side: counts callbacks for one request.
    final class Receiver: @unchecked Sendable {
        let deliveries = LockedBox<[Delivery]>([])
        let arrived = DispatchSemaphore(value: 0)
        let loop: EventLoop
        init(loop: EventLoop) { self.loop = loop }
    }

    static let callback: ah_http_callback_t = { user, response in
        let receiver = Unmanaged<Receiver>.fromOpaque(user!).takeUnretainedValue()
        let r = response!.pointee
        var headers: [String: String] = [:]
        for i in 0..<Int(r.header_count) { headers[String(cString: r.headers[i].name).lowercased()] = String(cString: r.headers[i].value) }
        let body = r.body.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: r.body_len), as: UTF8.self) } ?? ""
        receiver.deliveries.mutate {
            $0.append(Delivery(status: r.status, httpStatus: r.http_status, headers: headers, body: body,
                               bodyIsTerminated: r.body != nil && r.body[r.body_len] == 0,
                               message: r.error_message.map { String(cString: $0) }, onHostLoop: receiver.loop.inLoopThread))
        }
        receiver.arrived.signal()
    }

    /// Calls `request` with C strings that die right after the call (the host must have copied them).
    func send(_ method: String?, _ url: String?, headers: [(String, String)] = [], body: String? = nil, timeout: UInt32 = 0,
              receiver: Receiver) -> (ah_status_t, UInt64, String) {
        var texts: [String?] = [method, url]
        for (name, value) in headers { texts += [name, value] }
        texts.append(body)
        let strings = texts.map { $0.map { strdup($0)! } }
        defer { strings.forEach { free($0) } }
        let cHeaders = (0..<headers.count).map { ah_http_header_t(name: strings[2 + 2 * $0], value: strings[3 + 2 * $0]) }
        var error = ah_error_t()
        var id: UInt64 = 0
        let status = cHeaders.withUnsafeBufferPointer { headerBuffer in
            var request = ah_http_request_t(
                struct_size: UInt32(MemoryLayout<ah_http_request_t>.size), method: strings[0], url: strings[1],
                headers: headerBuffer.baseAddress, header_count: UInt32(headers.count),
                body: strings.last!, body_len: body?.utf8.count ?? 0, timeout_ms: timeout)
            return http.pointee.request(table.pointer, &request, Self.callback, Unmanaged.passUnretained(receiver).toOpaque(), &id, &error)
        }
        // Scribble over everything we passed: a host that kept pointers would now send garbage.
        for string in strings { if let string { memset(string, 0x58, strlen(string)) } }
        return (status, id, PluginLoader.message(&error, default: ""))
    }

    func wait(_ receiver: Receiver, count: Int = 1, settle: Double = 0.2) -> [Delivery] {
        for _ in 0..<count { XCTAssertEqual(receiver.arrived.wait(timeout: .now() + 5), .success, "callback arrived") }
        Thread.sleep(forTimeInterval: settle)   // room for a wrong second callback
        return receiver.deliveries.value
    }

    // MARK: tests

    func testAResponseIsDeliveredOnceOnTheHostLoopWithCopiedRequestData() throws {
        let receiver = Receiver(loop: hostLoop)
        let (status, id, message) = send("POST", "\(base)/echo", headers: [("X-Test", "yes"), ("Content-Type", "text/plain")],
                                         body: "hello plugin", receiver: receiver)
        XCTAssertEqual(status, AH_OK, message)
        XCTAssertGreaterThan(id, 0)
        let deliveries = wait(receiver)
        XCTAssertEqual(deliveries.count, 1)
        let delivery = try XCTUnwrap(deliveries.first)
        XCTAssertEqual(delivery.status, AH_OK)
        XCTAssertEqual(delivery.httpStatus, 200)
        XCTAssertEqual(delivery.body, "hello plugin")
        XCTAssertTrue(delivery.bodyIsTerminated, "body is NUL-terminated too")
        XCTAssertNil(delivery.message)
        XCTAssertEqual(delivery.headers["x-echo-method"], "POST")
        XCTAssertTrue(delivery.onHostLoop, "callbacks run on the host's loop thread")
        XCTAssertEqual(requests.value.first?.headers["X-Test"], "yes")
        XCTAssertEqual(PluginHTTP.shared.inFlight, 0)
    }

    func testAnyHTTPStatusIsAResponseWithAHOK() throws {
        let receiver = Receiver(loop: hostLoop)
        XCTAssertEqual(send("GET", "\(base)/teapot", receiver: receiver).0, AH_OK)
        let delivery = try XCTUnwrap(wait(receiver).first)
        XCTAssertEqual(delivery.status, AH_OK)
        XCTAssertEqual(delivery.httpStatus, 418)
        XCTAssertEqual(delivery.body, "short and stout")
    }

    func testCancelDeliversExactlyOneCancelledCallback() throws {
        let silent = try SilentServer()
        defer { silent.stop() }
        let receiver = Receiver(loop: hostLoop)
        let (status, id, _) = send("GET", "\(silent.url)/never", timeout: 5000, receiver: receiver)
        XCTAssertEqual(status, AH_OK)
        Thread.sleep(forTimeInterval: 0.05)   // let curl connect and send
        http.pointee.cancel(table.pointer, id)
        http.pointee.cancel(table.pointer, id)          // a second cancel is ignored
        http.pointee.cancel(table.pointer, 987_654_321) // as is an unknown id
        let deliveries = wait(receiver, settle: 0.3)
        XCTAssertEqual(deliveries.count, 1, "\(deliveries)")
        XCTAssertEqual(deliveries.first?.status, AH_ERR_CANCELLED)
        XCTAssertEqual(deliveries.first?.httpStatus, 0)
        XCTAssertNotNil(deliveries.first?.message)
        XCTAssertEqual(deliveries.first?.onHostLoop, true)
        XCTAssertEqual(PluginHTTP.shared.inFlight, 0)
    }

    func testCancelRightAfterRequestStillCallsBackOnce() throws {
        let receivers = (0..<20).map { _ in Receiver(loop: hostLoop) }
        for receiver in receivers {
            let (status, id, _) = send("GET", "\(base)/echo", receiver: receiver)
            XCTAssertEqual(status, AH_OK)
            http.pointee.cancel(table.pointer, id)
        }
        for receiver in receivers {
            let deliveries = wait(receiver, settle: 0)
            XCTAssertEqual(deliveries.count, 1)
            XCTAssertTrue([AH_OK, AH_ERR_CANCELLED].contains(deliveries.first?.status), "\(deliveries)")
        }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(receivers.map { $0.deliveries.value.count }, Array(repeating: 1, count: 20), "never a second callback")
    }

    func testAnotherInstanceCannotCancelARequest() throws {
        let other = HostTable(context: InstanceContext(pluginID: "com.example.other", tenantID: "acme", services: services, granted: [AH_EXT_HTTP]))
        let receiver = Receiver(loop: hostLoop)
        let (_, id, _) = send("POST", "\(base)/echo", body: "mine", receiver: receiver)
        http.pointee.cancel(other.pointer, id)
        XCTAssertEqual(wait(receiver).map(\.status), [AH_OK])
    }

    func testATimeoutIsReportedWithAMessage() throws {
        let silent = try SilentServer()
        defer { silent.stop() }
        let receiver = Receiver(loop: hostLoop)
        let started = Date()
        XCTAssertEqual(send("GET", silent.url + "/slow?token=secret", timeout: 150, receiver: receiver).0, AH_OK)
        let delivery = try XCTUnwrap(wait(receiver, settle: 0).first)
        XCTAssertEqual(delivery.status, AH_ERR_TIMEOUT)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        XCTAssertEqual(delivery.message, "no response from \(silent.url) within 150 ms")
    }

    func testConnectionRefusedIsUnavailable() throws {
        let receiver = Receiver(loop: hostLoop)
        XCTAssertEqual(send("GET", "http://127.0.0.1:\(unusedPort())/x", receiver: receiver).0, AH_OK)
        let delivery = try XCTUnwrap(wait(receiver, settle: 0).first)
        XCTAssertEqual(delivery.status, AH_ERR_UNAVAILABLE)
        XCTAssertTrue(delivery.message?.contains("could not connect") ?? false, "\(delivery)")
    }

    func testMalformedRequestsAreRefusedWithAMessageAndNoCallback() {
        let receiver = Receiver(loop: hostLoop)
        let cases: [(String?, String?, [(String, String)], String)] = [
            ("GET", "ftp://example.com/file", [], "http:// or https://"),
            ("GET", "not a url", [], "url"),
            ("GET", "http:///path-without-host", [], "no valid host"),
            ("GET", "http://127.0.0.1:99999/", [], "invalid port"),
            ("GET", nil, [], "url"),
            ("get", "\(base)/echo", [], "upper-case HTTP method"),
            ("", "\(base)/echo", [], "method"),
            ("GE T", "\(base)/echo", [], "method"),
            (nil, "\(base)/echo", [], "method"),
            ("GET", "\(base)/echo", [("Bad Name", "v")], "header"),
            ("GET", "\(base)/echo", [("X-Injected", "a\r\nHost: evil")], "line break"),
        ]
        for (method, url, headers, expected) in cases {
            let (status, _, message) = send(method, url, headers: headers, receiver: receiver)
            XCTAssertEqual(status, AH_ERR_INVALID_ARGUMENT, "\(String(describing: method)) \(String(describing: url))")
            XCTAssertTrue(message.contains(expected), "'\(message)' should mention \(expected)")
        }
        var error = ah_error_t()
        var id: UInt64 = 0
        XCTAssertEqual(http.pointee.request(table.pointer, nil, Self.callback, nil, &id, &error), AH_ERR_INVALID_ARGUMENT)
        var request = ah_http_request_t()
        request.struct_size = 8
        XCTAssertEqual(http.pointee.request(table.pointer, &request, Self.callback, nil, &id, &error), AH_ERR_INVALID_ARGUMENT)
        XCTAssertTrue(PluginLoader.message(&error, default: "").contains("struct_size"))
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertTrue(receiver.deliveries.value.isEmpty, "a refused request never calls back")
        XCTAssertTrue(requests.value.isEmpty, "nothing was sent")
    }

    func testTimeoutZeroMeansTheTenSecondDefault() throws {
        var request = ah_http_request_t()
        request.struct_size = UInt32(MemoryLayout<ah_http_request_t>.size)
        let (method, url) = (strdup("GET")!, strdup("http://127.0.0.1:8090/api/orders/ORD-1?x=1")!)
        defer { free(method); free(url) }
        request.method = UnsafePointer(method)
        request.url = UnsafePointer(url)
        let (copied, target) = try PluginHTTP.copy(request)
        XCTAssertEqual(copied.timeoutMilliseconds, 10_000)
        XCTAssertEqual(target.origin, "http://127.0.0.1:8090")
        XCTAssertEqual(target.path, "/api/orders/ORD-1", "logs never see query strings")
        request.timeout_ms = 250
        XCTAssertEqual(try PluginHTTP.copy(request).0.timeoutMilliseconds, 250)
    }

    func testTheExtensionIsNullWhenNotGranted() {
        let ungranted = HostTable(context: InstanceContext(pluginID: "com.example.c-plugin", tenantID: "other", services: services, granted: [AH_EXT_TIMER]))
        XCTAssertNil(ungranted.pointer.pointee.get_extension(ungranted.pointer, AH_EXT_HTTP))
        let noLoop = HostServices()
        let loopless = HostTable(context: InstanceContext(pluginID: "com.example.c-plugin", tenantID: "acme", services: noLoop, granted: [AH_EXT_HTTP]))
        XCTAssertNil(loopless.pointer.pointee.get_extension(loopless.pointer, AH_EXT_HTTP))
    }

    // MARK: the SDK path (a Swift tool) against the stub

    func testEscalationSendsCallerSessionAndBearerKey() throws {
        let plugin = try CommerceToolsTests.plugin.get()
        let settings = #"{"backend_url":"\#(base)/","api_key":"k-123"}"#
        let escalate = try PluginInstance.create("com.agenthost.commerce.escalate-to-human", from: plugin, tenantID: "acme",
                                                 settingsJSON: settings, services: services)
        let done = DispatchSemaphore(value: 0)
        let output = LockedBox<(Int32, String)>((0, ""))
        try escalate.invokeTool(callID: services.router.makeID(), sessionID: "sess-42", callerID: "+15557654321",
                                argumentsJSON: #"{"department":"billing","reason":"wants a person"}"#) { status, text in
            output.value = (status, text)
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(output.value.0, AH_OK, output.value.1)
        XCTAssertEqual(output.value.1, #"{"ticket_id":"ESC-000001","department":"billing","position":1,"wait_minutes":4}"#, "the body, as sent")
        let sent = try XCTUnwrap(requests.value.last)
        XCTAssertEqual(sent.method, "POST")
        XCTAssertEqual(sent.path, "/api/escalate", "a trailing slash in backend_url is tolerated")
        XCTAssertEqual(sent.headers["Authorization"], "Bearer k-123")
        XCTAssertEqual(sent.headers["Content-Type"], "application/json")
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: String])
        XCTAssertEqual(body, ["caller": "+15557654321", "session_id": "sess-42", "department": "billing", "reason": "wants a person"])
    }

    func testAMalformedBodyOrA5xxIsAnUnavailableFailureNotACrash() throws {
        let plugin = try CommerceToolsTests.plugin.get()
        let settings = #"{"backend_url":"\#(base)"}"#
        for (id, arguments, expected) in [
            ("com.agenthost.commerce.lookup-order", #"{"order_id":"ORD-12345"}"#, "the order system sent a reply we could not read; please try again later"),
            ("com.agenthost.commerce.check-billing", #"{"customer_id":"CUST-1001"}"#, "the billing system is having problems right now; please try again later"),
        ] {
            let instance = try PluginInstance.create(id, from: plugin, tenantID: "acme", settingsJSON: settings, services: services)
            let done = DispatchSemaphore(value: 0)
            let output = LockedBox<(Int32, String)>((0, ""))
            try instance.invokeTool(callID: services.router.makeID(), sessionID: "s", callerID: "c", argumentsJSON: arguments) { status, text in
                output.value = (status, text)
                done.signal()
            }
            XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
            XCTAssertEqual(output.value.0, AH_ERR_UNAVAILABLE, id)
            XCTAssertEqual(output.value.1, expected)
        }
    }
}
