import Foundation
import XCTest

/// Every numeric input of the API is checked before anything is written: bad values are 400s
/// whose message names the field and the problem, and the order, plan or queue is untouched.
final class InputValidationTests: BackendTestCase {
    /// ORD-12345 is delivered, inside the window, total 128.99 and not yet refunded.
    private let order = "ORD-12345"

    func testBadRefundAmountsAre400AndLeaveTheRefundAvailable() throws {
        let cases: [(amount: String, mentions: String)] = [
            ("1e308", "at most 1000000.00"),          // used to trap converting to Int and kill the backend
            ("-1e308", "must not be negative"),
            ("1e400", "at most 1000000.00"),          // beyond Double: JSONDecoder called this "not valid JSON"
            ("123456789012345678901234567890", "at most 1000000.00"),
            ("1000000.01", "at most 1000000.00"),
            ("0.005", "at most 2 decimal places"),    // used to become $0.01 and use up the refund
            ("0.001", "at most 2 decimal places"),
            ("10.555", "at most 2 decimal places"),
            ("1.0000000000000000000000000000000000000000001", "at most 2 decimal places"),   // past Decimal's 38 digits
            ("5e-3", "at most 2 decimal places"),
            ("-5", "must not be negative"),
            ("-0.01", "must not be negative"),
            ("0", "greater than 0"),
            ("0.00", "greater than 0"),
            ("-0", "greater than 0"),
            ("NaN", "NaN and Infinity are not JSON numbers"),
            ("Infinity", "NaN and Infinity are not JSON numbers"),
            ("-Infinity", "NaN and Infinity are not JSON numbers"),
            (#""10""#, "must be a number, got a string"),
            (#""NaN""#, "must be a number, got a string"),
            ("true", "must be a number, got a boolean"),
            ("[10]", "must be a number, got a list"),
            (#"{"dollars": 10}"#, "must be a number, got an object"),
            ("01", "leading zero"),
            ("1.", "no digits after the decimal point"),
            (".5", "not valid JSON"),
            ("+5", "not valid JSON"),
            ("0x10", "invalid number"),
            ("1.2.3", "invalid number"),
        ]
        for (amount, mentions) in cases {
            let body = #"{"order_id": "\#(order)", "reason": "damaged", "amount": \#(amount)}"#
            let reply = try post("/api/refunds", body)
            XCTAssertEqual(reply.status, 400, body)
            XCTAssertEqual(reply.code, "bad_request", body)
            XCTAssertTrue(reply.error.contains(mentions), "\(amount) → \(reply.error)")
            XCTAssertTrue(reply.error.contains("amount"), "\(amount): the reason names the field: \(reply.error)")
        }
        // Nothing was written: the order can still be refunded, once, at the full amount.
        let order = try get("/api/orders/\(order)")
        XCTAssertTrue(order["refund"] is NSNull, "\(order.json)")
        XCTAssertEqual(order["refund_eligible"] as? Bool, true)
        let refund = try post("/api/refunds", #"{"order_id": "\#(self.order)", "reason": "damaged"}"#)
        XCTAssertEqual(refund.status, 201)
        XCTAssertEqual(number(refund["amount"]), 128.99)
    }

    func testValidAmountsAreExactCents() throws {
        let cases: [(order: String, amount: String, cents: Int)] = [
            ("ORD-12345", "19.99", 1_999),
            ("ORD-77310", "1.5e2", 15_000),
            ("ORD-10004", "0.10", 10),
            ("ORD-10006", "12.340000", 1_234),
            ("ORD-10008", "2E1", 2_000),
        ]
        for (order, amount, cents) in cases {
            let reply = try post("/api/refunds", #"{"order_id": "\#(order)", "reason": "partial", "amount": \#(amount)}"#)
            XCTAssertEqual(reply.status, 201, "\(amount): \(reply.json)")
            XCTAssertEqual(number(reply["amount"]).map { Int(($0 * 100).rounded()) }, cents, amount)
        }
        // Allowed by the field's rules but more than the order: the business rule's 422, not a 400.
        let tooMuch = try post("/api/refunds", #"{"order_id": "ORD-88888", "reason": "x", "amount": 999999.99}"#)
        XCTAssertEqual(tooMuch.status, 422)
        XCTAssertEqual(tooMuch.code, "amount_exceeds_total")
        // An explicit null is the same as leaving the amount out: the whole order.
        let whole = try post("/api/refunds", #"{"order_id": "ORD-88888", "reason": "x", "amount": null}"#)
        XCTAssertEqual(whole.status, 201, "\(whole.json)")
    }

    func testRefundBodiesAreStrictJSON() throws {
        let cases: [(body: String, mentions: String)] = [
            (#"{"order_id": "ORD-12345", "reason": "x", "amount": 10, "amount": 0.005}"#, "duplicate key 'amount'"),
            (#"{"order_id": "ORD-12345", "reason": "x\u0000"}"#, "control characters"),
            (#"{"order_id": "ORD-12345", "reason": "\ud800"}"#, "surrogate"),
            (#"{"order_id": "ORD-12345", "reason": "x"} trailing"#, "after the JSON value"),
            (#"{"order_id": "ORD 12345", "reason": "x"}"#, "letters, digits"),
            (#"{"order_id": "ORD-12345", "reason": "\#(String(repeating: "x", count: 1_001))"}"#, "at most 1000 characters"),
            (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "nested deeper"),
            ("\u{FF}{}", "not valid JSON"),
        ]
        for (body, mentions) in cases {
            let reply = try post("/api/refunds", body)
            XCTAssertEqual(reply.status, 400, body)
            XCTAssertTrue(reply.error.contains(mentions), "\(body.prefix(80)) → \(reply.error)")
        }
        XCTAssertTrue(try get("/api/orders/ORD-12345")["refund"] is NSNull)
    }

    func testInvalidUTF8InAStringIs400() throws {
        var request = request("POST", "/api/refunds", body: "")
        request.body = Array(#"{"order_id": "ORD-12345", "reason": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let reply = try send(request)
        XCTAssertEqual(reply.status, 400)
        XCTAssertTrue(reply.error.contains("not valid UTF-8"), reply.error)
    }

    func testPaymentPlanMonthsAreWholeAndInRange() throws {
        let cases: [(months: String, mentions: String)] = [
            ("2.5", "must be a whole number, got 2.5"),
            ("1e30", "between 2 and 12, got 1e30"),
            ("1e400", "between 2 and 12"),
            ("-3", "between 2 and 12"),
            ("99999999999999999999999", "between 2 and 12"),
            ("3.5e0", "must be a whole number"),
            (#""6""#, "must be a whole number, got a string"),
            ("null", "must not be null"),
            ("NaN", "NaN and Infinity"),
        ]
        for (months, mentions) in cases {
            let reply = try post("/api/payment-plans", #"{"customer_id": "CUST-1002", "months": \#(months)}"#)
            XCTAssertEqual(reply.status, 400, months)
            XCTAssertTrue(reply.error.contains("months"), reply.error)
            XCTAssertTrue(reply.error.contains(mentions), "\(months) → \(reply.error)")
        }
        XCTAssertTrue(try get("/api/billing/CUST-1002")["payment_plan"] is NSNull, "a refused request wrote a plan")
        let plan = try post("/api/payment-plans", #"{"customer_id": "CUST-1002", "months": 3.0}"#)
        XCTAssertEqual(plan.status, 201, "\(plan.json)")
        XCTAssertEqual(number(plan["months"]), 3)
    }

    func testFAQTopKIsAWholeNumberInRange() throws {
        for (topK, mentions) in [("0", "between 1 and 20"), ("21", "between 1 and 20"), ("1.5", "whole number"),
                                 ("1e308", "between 1 and 20"), ("-1", "between 1 and 20"), (#""3""#, "got a string")] {
            let reply = try post("/api/faq/search", #"{"query": "shipping", "top_k": \#(topK)}"#)
            XCTAssertEqual(reply.status, 400, topK)
            XCTAssertTrue(reply.error.contains("top_k") && reply.error.contains(mentions), "\(topK) → \(reply.error)")
        }
        XCTAssertEqual((try post("/api/faq/search", #"{"query": "shipping", "top_k": 2E0}"#)["results"] as? [Any])?.count, 2)
    }

    func testEscalationFieldsAreBoundedAndWriteNothingWhenRefused() throws {
        let refused = [
            #"{"caller": "Ann", "department": "billing", "reason": "x", "session_id": 42}"#,
            #"{"caller": "\#(String(repeating: "a", count: 257))", "department": "billing", "reason": "x"}"#,
            #"{"caller": "Ann", "department": "bill\u0007ing", "reason": "x"}"#,
            #"{"caller": 7, "department": "billing", "reason": "x"}"#,
        ]
        for body in refused {
            XCTAssertEqual(try post("/api/escalate", body).status, 400, body)
        }
        let ticket = try post("/api/escalate", #"{"caller": "Ann", "department": "billing", "reason": "x", "session_id": null}"#)
        XCTAssertEqual(ticket.status, 201, "\(ticket.json)")
        XCTAssertEqual(number(ticket["position"]), 1, "a refused escalation took a place in the queue")
    }

    func testIdsInPathsAreChecked() throws {
        for path in ["/api/orders/ORD%2012345", "/api/orders/ORD-12345%00", "/api/billing/" + String(repeating: "9", count: 65),
                     "/api/billing/CUST-%C3%A9"] {
            let reply = try get(path)
            XCTAssertEqual(reply.status, 400, path)
            XCTAssertTrue(reply.error.contains("letters, digits"), reply.error)
        }
        XCTAssertEqual(try get("/api/orders/ord-12345").status, 200)   // ids stay case-insensitive
    }
}
