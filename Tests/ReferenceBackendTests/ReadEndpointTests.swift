import Foundation
import XCTest

/// Health, auth, routing, orders, billing.
final class ReadEndpointTests: BackendTestCase {
    func testHealthNeedsNoKey() throws {
        let reply = try get("/health", key: "wrong")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply["status"] as? String, "ok")
    }

    func testAPIRoutesRequireTheBearerKey() throws {
        var missing = request("GET", "/api/orders/ORD-12345")
        missing.headers["Authorization"] = nil
        let unauthenticated = try send(missing)
        XCTAssertEqual(unauthenticated.status, 401)
        XCTAssertEqual(unauthenticated.error, "missing or invalid bearer key")
        XCTAssertEqual(try get("/api/orders/ORD-12345", key: "wrong-key").status, 401)
        XCTAssertEqual(try get("/api/nope", key: "test-kex").status, 401)
        XCTAssertEqual(try get("/api/orders/ORD-12345").status, 200)
    }

    func testUnknownRouteIs404AndWrongMethodIs405() throws {
        XCTAssertEqual(try get("/api/nope").status, 404)
        XCTAssertEqual(try get("/nope").status, 404)
        let wrongMethod = try get("/api/refunds")
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.headers["Allow"], "POST")
        XCTAssertEqual(try send(request("DELETE", "/api/orders/ORD-12345")).status, 405)
    }

    func testOrderDetails() throws {
        let order = try get("/api/orders/ORD-12345")
        XCTAssertEqual(order.status, 200)
        XCTAssertEqual(order["id"] as? String, "ORD-12345")
        XCTAssertEqual(order["customer_id"] as? String, "CUST-1001")
        XCTAssertEqual(order["status"] as? String, "delivered")
        XCTAssertEqual(order["currency"] as? String, "USD")
        XCTAssertEqual(number(order["total"]), 128.99)
        XCTAssertEqual(number(order["days_since_delivery"]), 10)
        XCTAssertTrue(order["refund"] is NSNull)
        let items = try XCTUnwrap(order["items"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["sku"] as? String }, ["BP-TRAIL-30", "BTL-STEEL-750"])
        XCTAssertEqual(number(items[1]["quantity"]), 2)
        XCTAssertEqual(number(items[1]["unit_price"]), 19.5)
        let delivered = try XCTUnwrap(order["delivered_at"] as? String)
        let deliveredAt = try XCTUnwrap(ISO8601DateFormatter().date(from: delivered), delivered)
        XCTAssertEqual(Date().timeIntervalSince(deliveredAt) / 86_400, 10, accuracy: 0.01)
    }

    func testOrderStates() throws {
        let refunded = try get("/api/orders/ORD-22222")
        let refund = try XCTUnwrap(refunded["refund"] as? [String: Any])
        XCTAssertEqual(refund["refund_id"] as? String, "RF-000118")
        XCTAssertEqual(number(refund["amount"]), 64.98)
        XCTAssertNotNil(refund["status"] as? String)
        XCTAssertNotNil(refund["created_at"] as? String)

        let processing = try get("/api/orders/ORD-31337")
        XCTAssertEqual(processing["status"] as? String, "processing")
        XCTAssertTrue(processing["delivered_at"] is NSNull)
        XCTAssertTrue(processing["days_since_delivery"] is NSNull)
        XCTAssertEqual(number(try get("/api/orders/ORD-45045")["days_since_delivery"]), 45)
    }

    func testUnknownOrderIs404() throws {
        let reply = try get("/api/orders/ORD-99999")
        XCTAssertEqual(reply.status, 404)
        XCTAssertEqual(reply.error, "order ORD-99999 not found")
    }

    func testBilling() throws {
        let billing = try get("/api/billing/CUST-1001")
        XCTAssertEqual(billing.status, 200)
        XCTAssertEqual(billing["name"] as? String, "Maria Gonzalez")
        XCTAssertEqual(billing["payment_method"] as? String, "Visa ending 4242")
        XCTAssertEqual(number(billing["balance"]), 34.49)   // the one open invoice
        XCTAssertTrue(billing["payment_plan"] is NSNull)
        let invoices = try XCTUnwrap(billing["invoices"] as? [[String: Any]])
        XCTAssertEqual(invoices.compactMap { $0["status"] as? String }, ["paid", "paid", "open"])
        XCTAssertEqual(number(invoices[2]["amount"]), 34.49)
        XCTAssertEqual((invoices[2]["lines"] as? [[String: Any]])?.count, 2)
        XCTAssertFalse((billing["recent_charges"] as? [[String: Any]])?.isEmpty ?? true)

        let overdue = try get("/api/billing/CUST-1002")
        XCTAssertTrue((overdue["invoices"] as? [[String: Any]])?.contains { $0["status"] as? String == "overdue" } ?? false)
        let withPlan = try get("/api/billing/CUST-1004")
        XCTAssertEqual((withPlan["payment_plan"] as? [String: Any])?["plan_id"] as? String, "PP-000007")

        let unknown = try get("/api/billing/CUST-9999")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.error, "customer CUST-9999 not found")
    }
}
