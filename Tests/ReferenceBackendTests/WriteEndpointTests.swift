import Foundation
import XCTest

/// Payment plans, FAQ search, escalation.
final class WriteEndpointTests: BackendTestCase {
    func testPaymentPlanIsCreatedOnce() throws {
        let plan = try post("/api/payment-plans", #"{"customer_id": "CUST-1002", "months": 3}"#)
        XCTAssertEqual(plan.status, 201)
        XCTAssertTrue((plan["plan_id"] as? String)?.hasPrefix("PP-") ?? false)
        XCTAssertEqual(plan["customer_id"] as? String, "CUST-1002")
        XCTAssertEqual(number(plan["months"]), 3)
        XCTAssertEqual(number(plan["monthly_amount"]), 5)   // 14.99 over 3 months, rounded up to the cent
        XCTAssertNotNil((plan["first_payment_date"] as? String).flatMap { $0.count == 10 ? $0 : nil })

        let again = try post("/api/payment-plans", #"{"customer_id": "CUST-1002", "months": 6}"#)
        XCTAssertEqual(again.status, 409)
        XCTAssertEqual(again.code, "plan_exists")
        let billing = try get("/api/billing/CUST-1002")
        XCTAssertEqual((billing["payment_plan"] as? [String: Any])?["plan_id"] as? String, plan["plan_id"] as? String)
    }

    func testPaymentPlanRefusals() throws {
        for body in [#"{"customer_id": "CUST-1005", "months": 1}"#, #"{"customer_id": "CUST-1005", "months": 13}"#,
                     #"{"customer_id": "CUST-1005", "months": "six"}"#, #"{"customer_id": "CUST-1005"}"#] {
            let reply = try post("/api/payment-plans", body)
            XCTAssertEqual(reply.status, 400, body)
            XCTAssertTrue(reply.error.contains("months"), reply.error)
        }
        XCTAssertEqual(try post("/api/payment-plans", #"{"customer_id": "CUST-9999", "months": 3}"#).status, 404)
        XCTAssertEqual(try post("/api/payment-plans", #"{"customer_id": "CUST-1004", "months": 3}"#).status, 409)
        XCTAssertEqual(try post("/api/payment-plans", #"{"customer_id": "CUST-1003", "months": 3}"#).code, "no_balance")
    }

    func testFAQSearchRanksTheRightEntryFirst() throws {
        let expectations = [
            "How long does shipping take?": "faq-shipping-times",
            "do you ship to Canada": "faq-shipping-canada",
            "is the backpack waterproof": "faq-backpack-waterproof",
            "I forgot my password": "faq-password-reset",
            "what are the dimensions of the standing desk": "faq-desk-dimensions",
            "how many days do I have to return something": "faq-returns-policy",
            "warranty on my blender": "faq-blender-warranty",
            "can I use a coupon code": "faq-promo-codes",
        ]
        for (query, expected) in expectations {
            let reply = try post("/api/faq/search", #"{"query": "\#(query)", "top_k": 3}"#)
            XCTAssertEqual(reply.status, 200)
            let results = try XCTUnwrap(reply["results"] as? [[String: Any]])
            XCTAssertEqual(results.first?["id"] as? String, expected, "\(query) → \(results.map { $0["id"] ?? "" })")
            XCTAssertLessThanOrEqual(results.count, 3)
            let scores = results.compactMap { number($0["score"]) }
            XCTAssertEqual(scores, scores.sorted(by: >))
            XCTAssertNotNil(results.first?["question"] as? String)
            XCTAssertNotNil(results.first?["answer"] as? String)
        }
    }

    func testFAQSearchLimitsAndEmptyResults() throws {
        let one = try post("/api/faq/search", #"{"query": "shipping", "top_k": 1}"#)
        XCTAssertEqual((one["results"] as? [Any])?.count, 1)
        let nothing = try post("/api/faq/search", #"{"query": "quantum chromodynamics of giraffes"}"#)
        XCTAssertEqual(nothing.status, 200)
        XCTAssertEqual((nothing["results"] as? [Any])?.count, 0)
        let missing = try post("/api/faq/search", #"{"top_k": 3}"#)
        XCTAssertEqual(missing.status, 400)
        XCTAssertTrue(missing.error.contains("query"), missing.error)
    }

    func testEscalationQueuesPerDepartment() throws {
        let first = try post("/api/escalate", #"{"caller": "James", "department": "billing", "reason": "disputed charge", "session_id": "s-1"}"#)
        XCTAssertEqual(first.status, 201)
        XCTAssertTrue((first["ticket_id"] as? String)?.hasPrefix("ESC-") ?? false)
        XCTAssertEqual(first["department"] as? String, "billing")
        XCTAssertEqual(number(first["position"]), 1)
        XCTAssertGreaterThan(number(first["wait_minutes"]) ?? 0, 0)
        let second = try post("/api/escalate", #"{"caller": "Sofia", "department": "Billing", "reason": "refund question"}"#)
        XCTAssertEqual(number(second["position"]), 2)
        XCTAssertGreaterThan(number(second["wait_minutes"]) ?? 0, number(first["wait_minutes"]) ?? 0)
        let other = try post("/api/escalate", #"{"caller": "Noah", "department": "technical", "reason": "app crash"}"#)
        XCTAssertEqual(number(other["position"]), 1)

        let missing = try post("/api/escalate", #"{"caller": "Noah", "reason": "x"}"#)
        XCTAssertEqual(missing.status, 400)
        XCTAssertTrue(missing.error.contains("department"), missing.error)
    }
}
