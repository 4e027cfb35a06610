import SupportKit
import XCTest

final class SlotsTests: XCTestCase {
    func testOrderIDsInWrittenAndSpokenForms() {
        let forms = [
            "ORD-12345", "ord 12345", "order one two three four five", "O R D 1 2 3 4 5", "oh are dee one two three four five",
            "my order number is ORD12345", "o.r.d. 1-2-3-4-5", "the order number, uh, it's 1 2 3 4 5", "order double one two three four five",
        ]
        for form in forms.dropLast() {
            XCTAssertEqual(Slots.orderID(in: form), "ORD-12345", form)
        }
        XCTAssertEqual(Slots.orderID(in: "order double one two three four"), "ORD-11234")
        XCTAssertEqual(Slots.orderID(in: "order number 7 7 3 1 0"), "ORD-77310")
        XCTAssertEqual(Slots.orderID(in: "order number seven seven three one oh"), "ORD-77310")
        XCTAssertEqual(Slots.orderID(in: "please process a refund for ORD-77310"), "ORD-77310")
        XCTAssertEqual(Slots.orderID(in: "order ORD-12345, 2 items"), "ORD-12345")
    }

    func testOrderIDsNeedFiveDigitsAndAPrefixUnlessAsked() {
        XCTAssertNil(Slots.orderID(in: "I want to return my order"))
        XCTAssertNil(Slots.orderID(in: "order one two three four"))
        XCTAssertNil(Slots.orderID(in: "order one two three four five six"))
        XCTAssertNil(Slots.orderID(in: "12345"))
        XCTAssertEqual(Slots.orderID(in: "12345", allowBareDigits: true), "ORD-12345")
        XCTAssertEqual(Slots.orderID(in: "it's one two three four five", allowBareDigits: true), "ORD-12345")
    }

    func testCustomerIDs() {
        for form in ["CUST-1001", "cust 1001", "customer number one zero zero one", "C U S T 1 0 0 1", "my account is 1001",
                     "see you ess tee one oh oh one", "customer ten oh one", "my customer ID is cust1001"] {
            XCTAssertEqual(Slots.customerID(in: form), "CUST-1001", form)
        }
        XCTAssertNil(Slots.customerID(in: "my account balance"))
        XCTAssertNil(Slots.customerID(in: "1001"))
        XCTAssertEqual(Slots.customerID(in: "1001", allowBareDigits: true), "CUST-1001")
        XCTAssertNil(Slots.customerID(in: "customer 10011"))
    }

    func testDigits() {
        XCTAssertEqual(Slots.digits(in: "four two four two"), "4242")
        XCTAssertEqual(Slots.digits(in: "4242"), "4242")
        XCTAssertEqual(Slots.digits(in: "it's 42 42"), "4242")
        XCTAssertEqual(Slots.digits(in: "forty two forty two"), "4242")
        XCTAssertEqual(Slots.digits(in: "the last four are 4 2 4 2"), "4242")
        XCTAssertEqual(Slots.digits(in: "oh one two three"), "0123")
        XCTAssertEqual(Slots.digits(in: "double four two two"), "4422")
        XCTAssertEqual(Slots.digits(in: "ending in one eight eight one"), "1881")
        XCTAssertNil(Slots.digits(in: "oh I see"))
        XCTAssertNil(Slots.digits(in: "no digits here"))
    }

    func testMonths() {
        XCTAssertEqual(Slots.months(in: "six months"), 6)
        XCTAssertEqual(Slots.months(in: "6 months"), 6)
        XCTAssertEqual(Slots.months(in: "half a year"), 6)
        XCTAssertEqual(Slots.months(in: "a 3-month plan"), 3)
        XCTAssertEqual(Slots.months(in: "over twelve months please"), 12)
        XCTAssertEqual(Slots.months(in: "a year"), 12)
        XCTAssertEqual(Slots.months(in: "in four installments"), 4)
        XCTAssertEqual(Slots.months(in: "twenty four months"), 24)
        XCTAssertNil(Slots.months(in: "six"))
        XCTAssertEqual(Slots.number(in: "six"), 6)
        XCTAssertNil(Slots.months(in: "I don't know"))
    }

    func testAffirmation() {
        for yes in ["yes", "yeah", "yep", "sure", "go ahead", "please do", "yes please", "okay", "that's right", "sure why not",
                    "absolutely", "uh huh", "no problem, go ahead", "yeah do it"] {
            XCTAssertEqual(Affirmation.detect(in: yes), .yes, yes)
        }
        for no in ["no", "nope", "nah", "don't", "no thanks", "not now", "no, don't do that", "okay don't do it",
                   "I would rather not", "cancel that", "never mind"] {
            XCTAssertEqual(Affirmation.detect(in: no), .no, no)
        }
        for neither in ["I'm not sure", "maybe", "what's the amount", "the right card", "hmm"] {
            XCTAssertNil(Affirmation.detect(in: neither), neither)
        }
    }
}
