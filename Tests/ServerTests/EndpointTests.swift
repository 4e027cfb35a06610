import Foundation
import Glibc
import Host
import HostSupport
import XCTest

/// Every endpoint over a real socket, and every bad request answered with the right status while
/// other clients carry on.
final class EndpointTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
    }

    func testHealthReadyAndMetrics() async throws {
        let health = try await request("GET", "/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.json["status"] as? String, "ok")
        XCTAssertEqual(health.json["active_sessions"] as? Int, 0)
        // Which build answers (protocol.md §5): the executable's build id, as readelf shows it.
        XCTAssertEqual(health.json["build"] as? String, try XCTUnwrap(ExecutableBuildID.current, "the test binary has no build id"))
        let ready = try await request("GET", "/ready")
        XCTAssertEqual(ready.status, 200)
        XCTAssertEqual(ready.json["ready"] as? Bool, true)
        _ = try await chat("what's my balance")
        let metrics = try await request("GET", "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.body.contains("agent_host_sessions_started_total{tenant=\"demo\"} 1"), metrics.body)
        XCTAssertTrue(metrics.body.contains("agent_host_active_sessions 1"), metrics.body)
        XCTAssertTrue(metrics.body.contains("agent_host_handoffs_total{from=\"Triage Agent\",to=\"Billing Agent\"} 1"), metrics.body)
        XCTAssertTrue(metrics.body.contains("# TYPE agent_host_session_duration_seconds histogram"), metrics.body)
    }

    func testAChatTurnReturnsItsEventsAndTheSessionContinues() async throws {
        let first = try await chat("I need a refund for order ORD-12345")
        XCTAssertEqual(first.status, 200, first.body)
        XCTAssertEqual(first.json["agent"] as? String, "Refund Agent")
        XCTAssertEqual(first.types.first, "session")
        XCTAssertEqual(first.types.last, "turn_end")
        XCTAssertTrue(first.types.contains("handoff") && first.types.contains("tool_call"), "\(first.types)")
        let session = try XCTUnwrap(first.json["session_id"] as? String)

        let second = try await chat("it arrived cracked", session: session)
        XCTAssertEqual(second.status, 200, second.body)
        XCTAssertEqual(second.json["session_id"] as? String, session)
        XCTAssertEqual(second.types.first, "user")
        XCTAssertEqual(second.types.last, "turn_end")
        XCTAssertFalse(second.types.contains("session"))
    }

    func testBadRequestsGetTheRightStatusAndASentence() async throws {
        let invalidJSON = try await request("POST", "/v1/chat", body: "{not json")
        XCTAssertEqual(invalidJSON.status, 400)
        XCTAssertNotNil(invalidJSON.json["error"] as? String)
        let noText = try await request("POST", "/v1/chat", body: #"{"caller":"+1555"}"#)
        XCTAssertEqual(noText.status, 400)
        XCTAssertTrue((noText.json["error"] as? String ?? "").contains("'text'"))
        let noCaller = try await request("POST", "/v1/chat", body: #"{"text":"hi"}"#)
        XCTAssertEqual(noCaller.status, 400)
        // Each field of the wrong type is named; a body that is no object, or nested too deep, is refused whole.
        for (body, named) in [(#"{"caller":"+1555","text":5}"#, "'text' must be a string"),
                              (#"{"caller":5,"text":"hi"}"#, "'caller' must be a string"),
                              (#"{"caller":"+1555","text":"hi","session_id":7}"#, "'session_id' must be a string"),
                              (#"{"caller":"+1555","text":"hi","tenant":null}"#, "'tenant' must be a string"),
                              (#"{"caller":"+1555","text":"hi","end":1}"#, "'end' must be true or false"),
                              (#"["caller","text"]"#, "must be a JSON object"),
                              (String(repeating: "[", count: 5_000), "must be a JSON object")] {
            let reply = try await request("POST", "/v1/chat", body: body)
            XCTAssertEqual(reply.status, 400, body)
            XCTAssertTrue((reply.json["error"] as? String ?? "").contains(named), "\(body.prefix(60)): \(reply.body)")
        }
        let unknownTenant = try await chat("hi", tenant: "nobody")
        XCTAssertEqual(unknownTenant.status, 404)
        XCTAssertEqual(unknownTenant.json["error"] as? String, "unknown tenant 'nobody'")
        let unknownSession = try await chat("hi", session: "no-such-session")
        XCTAssertEqual(unknownSession.status, 404)
        let wrongMethod = try await request("GET", "/v1/chat")
        XCTAssertEqual(wrongMethod.status, 405)
        let nowhere = try await request("GET", "/nope")
        XCTAssertEqual(nowhere.status, 404)
        let oversized = try await request("POST", "/v1/chat", body: String(repeating: "x", count: 2 * 1024 * 1024))
        XCTAssertEqual(oversized.status, 413)
        // And the server still serves everyone else.
        let fine = try await chat("hello")
        XCTAssertEqual(fine.status, 200)
    }

    func testMalformedHTTPGets400AndOtherClientsAreUnaffected() async throws {
        let port = UInt16(base.split(separator: ":").last.map(String.init) ?? "") ?? 0
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(connected, 0)
        let garbage = Array("GARBAGE \u{1}\u{2} nonsense\r\n\r\n".utf8)
        _ = garbage.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 512)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let count = recv(fd, &buffer, buffer.count, 0)
        XCTAssertTrue(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        let fine = try await chat("hello", caller: "+15550003333")
        XCTAssertEqual(fine.status, 200, "the host keeps serving everyone else")
    }

    func testATenantWithAKeyAnswers401WithoutItAndServesWithIt() async throws {
        let missing = try await chat("hello", tenant: "secure")
        XCTAssertEqual(missing.status, 401)
        let wrong = try await chat("hello", tenant: "secure", headers: [("Authorization", "Bearer nope")])
        XCTAssertEqual(wrong.status, 401)
        let right = try await chat("hello", tenant: "secure", headers: [("Authorization", "Bearer s3cret")])
        XCTAssertEqual(right.status, 200, right.body)
        XCTAssertEqual(right.events.first?["tenant"] as? String, "secure")
        // `?token=` is for WebSocket handshakes only: over plain HTTP the key stays out of URLs (and logs).
        let viaQuery = try await request("POST", "/v1/chat?tenant=secure&token=s3cret", body: #"{"caller":"+1","text":"hello"}"#)
        XCTAssertEqual(viaQuery.status, 401)
        XCTAssertTrue(viaQuery.body.contains("Authorization: Bearer"), viaQuery.body)
    }

    /// A session belongs to its caller: another caller who learns its id cannot speak in it.
    func testASessionCannotBeContinuedByAnotherCaller() async throws {
        let first = try await chat("I have a question about a charge", caller: "+15550004444")
        let session = try XCTUnwrap(first.json["session_id"] as? String)
        let stolen = try await chat("what's my balance", caller: "+15550005555", session: session)
        XCTAssertEqual(stolen.status, 403, stolen.body)
        XCTAssertTrue(stolen.json["error"] as? String ?? "" != "", stolen.body)
        let owner = try await chat("what's my balance", caller: "+15550004444", session: session)
        XCTAssertEqual(owner.status, 200, "the owner carries on: \(owner.body)")
    }

    func testASessionOfOneTenantCannotBeContinuedUnderAnother() async throws {
        let first = try await chat("hello")
        let session = try XCTUnwrap(first.json["session_id"] as? String)
        let stolen = try await chat("hello", session: session, tenant: "secure", headers: [("Authorization", "Bearer s3cret")])
        XCTAssertEqual(stolen.status, 404)
    }

    func testAnEscalationEndsTheSessionAndItIsPersisted() async throws {
        let reply = try await chat("let me talk to a person", caller: "+15559990000")
        XCTAssertTrue(reply.types.contains("escalated"), "\(reply.types)")
        XCTAssertEqual(reply.types.last, "end")
        XCTAssertEqual(persistence.count, 1)
        let previous = await withCheckedContinuation { c in persistence.previousSessions(tenant: "demo", caller: "+15559990000") { c.resume(returning: $0) } }
        XCTAssertEqual(previous.count, 1)
        XCTAssertTrue(previous[0].contains("\"outcome\":\"escalated\""), previous[0])
        let again = try await chat("hello", caller: "+15559990000")
        XCTAssertEqual(again.events.first?["returning"] as? Bool, true, "a caller who calls back is recognised")
        let greeting = again.events.first { $0["type"] as? String == "agent" }?["text"] as? String ?? ""
        XCTAssertTrue(greeting.hasPrefix("Welcome back. Last time you asked for a person."), greeting)
        let otherTenant = try await chat("hello", caller: "+15559990000", tenant: "secure", headers: [("Authorization", "Bearer s3cret")])
        XCTAssertEqual(otherTenant.events.first?["returning"] as? Bool, false, "records are per tenant: another tenant never sees them")
    }
}
