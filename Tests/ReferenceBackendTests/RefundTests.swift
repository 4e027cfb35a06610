import Foundation
import XCTest

final class RefundTests: BackendTestCase {
    func testRefundIsApprovedOnceThenConflicts() throws {
        let created = try post("/api/refunds", #"{"order_id": "ORD-77310", "reason": "wobbly legs"}"#)
        XCTAssertEqual(created.status, 201)
        let refundID = try XCTUnwrap(created["refund_id"] as? String)
        XCTAssertTrue(refundID.hasPrefix("RF-"), refundID)
        XCTAssertEqual(created["order_id"] as? String, "ORD-77310")
        XCTAssertEqual(created["status"] as? String, "approved")
        XCTAssertEqual(number(created["amount"]), 349)
        XCTAssertEqual(created["eta_business_days"] as? String, "5-7")
        XCTAssertNotNil(created["created_at"] as? String)

        let again = try post("/api/refunds", #"{"order_id": "ORD-77310", "reason": "again"}"#)
        XCTAssertEqual(again.status, 409)
        XCTAssertEqual(again.code, "already_refunded")
        XCTAssertTrue(again.error.contains("already refunded (refund \(refundID))"), again.error)

        let order = try get("/api/orders/ORD-77310")
        XCTAssertEqual((order["refund"] as? [String: Any])?["refund_id"] as? String, refundID)
    }

    func testPartialRefund() throws {
        let partial = try post("/api/refunds", #"{"order_id": "ORD-10004", "reason": "one chair scratched", "amount": 50}"#)
        XCTAssertEqual(partial.status, 201)
        XCTAssertEqual(number(partial["amount"]), 50)
        let tooMuch = try post("/api/refunds", #"{"order_id": "ORD-10006", "reason": "x", "amount": 1000}"#)
        XCTAssertEqual(tooMuch.status, 422)
        XCTAssertEqual(tooMuch.code, "amount_exceeds_total")
    }

    func testRefundRefusals() throws {
        let late = try post("/api/refunds", #"{"order_id": "ORD-45045", "reason": "changed my mind"}"#)
        XCTAssertEqual(late.status, 422)
        XCTAssertEqual(late.code, "outside_window")
        XCTAssertEqual(late.error, "order ORD-45045 was delivered 45 days ago; refunds are accepted within 30 days")

        let refunded = try post("/api/refunds", #"{"order_id": "ORD-22222", "reason": "x"}"#)
        XCTAssertEqual(refunded.status, 409)
        XCTAssertEqual(refunded.code, "already_refunded")
        XCTAssertTrue(refunded.error.contains("RF-000118"), refunded.error)

        let processing = try post("/api/refunds", #"{"order_id": "ORD-31337", "reason": "x"}"#)
        XCTAssertEqual(processing.status, 422)
        XCTAssertEqual(processing.code, "not_delivered")

        XCTAssertEqual(try post("/api/refunds", #"{"order_id": "ORD-60001", "reason": "x"}"#).code, "order_cancelled")

        let unknown = try post("/api/refunds", #"{"order_id": "ORD-99999", "reason": "x"}"#)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.error, "order ORD-99999 not found")
    }

    func testMalformedRequestsAre400NamingTheField() throws {
        let cases: [(body: String, mentions: String)] = [
            (#"{"order_id": "ORD-12345", "reason": "x""#, "not valid JSON"),
            (#"{"reason": "x"}"#, "order_id"),
            (#"{"order_id": "ORD-12345"}"#, "reason"),
            (#"{"order_id": 12345, "reason": "x"}"#, "order_id"),
            (#"{"order_id": "ORD-12345", "reason": "x", "amount": "ten"}"#, "amount"),
            (#"{"order_id": "  ", "reason": "x"}"#, "order_id"),
            (#"["ORD-12345"]"#, "JSON object"),
        ]
        for (body, mentions) in cases {
            let reply = try post("/api/refunds", body)
            XCTAssertEqual(reply.status, 400, body)
            XCTAssertTrue(reply.error.contains(mentions), "\(body) → \(reply.error)")
        }
    }

    func testConcurrentRefundsOfOneOrderSucceedExactlyOnce() throws {
        let requests = (0..<10).map { _ in request("POST", "/api/refunds", body: #"{"order_id": "ORD-12345", "reason": "race"}"#) }
        let statuses = try sendConcurrently(requests).map(\.status).sorted()
        XCTAssertEqual(statuses, [201] + Array(repeating: 409, count: 9))
    }

    func testRefundsPersistAcrossRestart() throws {
        let first = try post("/api/refunds", #"{"order_id": "ORD-12345", "reason": "too small"}"#)
        XCTAssertEqual(first.status, 201)
        let ticket = try post("/api/escalate", #"{"caller": "Maria", "department": "returns", "reason": "follow-up"}"#)
        XCTAssertEqual(number(ticket["position"]), 1)

        backend.stop()
        try startBackend()   // same data directory

        let second = try post("/api/refunds", #"{"order_id": "ORD-12345", "reason": "too small"}"#)
        XCTAssertEqual(second.status, 409)
        XCTAssertTrue(second.error.contains(first["refund_id"] as? String ?? "?"), second.error)
        let next = try post("/api/escalate", #"{"caller": "Maria", "department": "returns", "reason": "again"}"#)
        XCTAssertEqual(number(next["position"]), 2)
        // Seeding again on restart did not duplicate the historical refund.
        XCTAssertEqual(try post("/api/refunds", #"{"order_id": "ORD-22222", "reason": "x"}"#).status, 409)
    }
}
