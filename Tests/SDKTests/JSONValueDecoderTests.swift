import AgentHostSDK
import Foundation
import XCTest

/// `JSONValueDecoder` must decode what Foundation's `JSONDecoder` decodes, to the same values, and
/// refuse what it refuses: tool answers moved from one to the other.
final class JSONValueDecoderTests: XCTestCase {
    struct Order: Decodable, Equatable {
        struct Item: Decodable, Equatable {
            let sku: String?
            let name: String
            let quantity: Int
            let unitPrice: Double
        }
        struct Refund: Decodable, Equatable {
            let refundId: String
            let amount: Double
        }
        let orderId: String?
        let id: String?
        let customerId: String?
        let items: [Item]
        let total: Double
        let currency: String?
        let status: String
        let daysSinceDelivery: Int?
        let refund: Refund?
        let tags: [String: String]?
        let flags: [Bool]?
        let note: JSONValue?
    }

    /// As SupportKit's LooseText: a single value read as text or number.
    struct Loose: Decodable, Equatable {
        let text: String
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) { text = string } else { text = String(try container.decode(Int.self)) }
        }
    }

    struct Issued: Decodable, Equatable {
        let refundId: String
        let etaBusinessDays: Loose
        let site: URL?
        let blob: Data?
        let orderID: String?
    }

    private let documents = [
        // The canned lookup_order answer, as the reference plugins get it.
        #"{"order_id":"ORD-12345","customer_id":"CUST-1001","status":"delivered","days_since_delivery":10,"total":24.0,"currency":"USD","items":[{"sku":"MUG-01","name":"Ceramic mug","quantity":2,"unit_price":12.0}],"refund":null}"#,
        // "id" instead of "order_id", absent optionals, a refund, nested maps and arrays.
        #"{"id":"ORD-1","status":"shipped","total":1e2,"items":[],"refund":{"refund_id":"RF-1","amount":3.5},"tags":{"gift_wrap":"yes"},"flags":[true,false],"note":{"text":[1,"a",null]}}"#,
        // Keys that convert the same way: double underscores, capitals, already camelCase.
        #"{"Order__ID":"X","customerId":"C","status":"s","total":0,"items":[{"name":"n","quantity":1,"unit_price":-2}]}"#,
    ]

    func testDecodesWhatJSONDecoderDecodesToTheSameValues() throws {
        let foundation = JSONDecoder()
        foundation.keyDecodingStrategy = .convertFromSnakeCase
        let ours = JSONValueDecoder(keyDecoding: .convertFromSnakeCase)
        for text in documents {
            let expected = try foundation.decode(Order.self, from: Data(text.utf8))
            let decoded = try ours.decode(Order.self, from: try JSONValue.parse(text))
            XCTAssertEqual(decoded, expected, text)
        }
        let issued = #"{"refund_id":"RF-9","eta_business_days":5,"site":"https://example.com/a?b=1","blob":"aGVsbG8=","order_i_d":"O"}"#
        let expected = try foundation.decode(Issued.self, from: Data(issued.utf8))
        XCTAssertEqual(try ours.decode(Issued.self, from: try JSONValue.parse(issued)), expected)
        XCTAssertEqual(expected.etaBusinessDays.text, "5")
        XCTAssertEqual(expected.blob, Data("hello".utf8))
    }

    func testAJSONValueMemberIsHandedOverAsParsed() throws {
        // JSONDecoder would rename its keys too ("free_text" → "freeText"): free-form JSON keeps its own.
        let text = #"{"status":"s","total":1,"items":[],"note":{"free_text":true}}"#
        let order = try JSONValueDecoder(keyDecoding: .convertFromSnakeCase).decode(Order.self, from: try JSONValue.parse(text))
        XCTAssertEqual(order.note, .object(["free_text": .bool(true)]))
    }

    func testDefaultKeysAreMatchedExactly() throws {
        struct Plain: Decodable, Equatable { let orderId: String? }
        let text = #"{"order_id":"A"}"#
        XCTAssertEqual(try JSONValueDecoder().decode(Plain.self, from: try JSONValue.parse(text)), Plain(orderId: nil))
        XCTAssertEqual(try JSONValueDecoder().decode(Plain.self, from: try JSONValue.parse(#"{"orderId":"B"}"#)), Plain(orderId: "B"))
    }

    func testRefusesWhatJSONDecoderRefusesAndSaysWhere() throws {
        let foundation = JSONDecoder()
        foundation.keyDecodingStrategy = .convertFromSnakeCase
        let ours = JSONValueDecoder(keyDecoding: .convertFromSnakeCase)
        let refused = [
            #"{"status":"s","total":1,"items":[{"name":"n","quantity":1.5,"unit_price":1}]}"#,   // a fraction for an Int
            #"{"status":"s","total":"1","items":[]}"#,                                            // a string for a Double
            #"{"status":"s","total":1}"#,                                                         // a required key missing
            #"{"status":null,"total":1,"items":[]}"#,                                             // null for a required String
            #"{"status":"s","total":1,"items":{}}"#,                                              // an object for an array
            #"[1]"#,                                                                               // an array for an object
        ]
        for text in refused {
            XCTAssertThrowsError(try foundation.decode(Order.self, from: Data(text.utf8)), "JSONDecoder accepted \(text)")
            XCTAssertThrowsError(try ours.decode(Order.self, from: try JSONValue.parse(text)), text) { error in
                XCTAssertTrue(error is DecodingError, "\(error)")
            }
        }
        XCTAssertThrowsError(try ours.decode(Order.self, from: try JSONValue.parse(refused[0]))) { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(context.codingPath.map(\.stringValue), ["items", "Index 0", "quantity"])
        }
        XCTAssertThrowsError(try ours.decode(Int8.self, from: .number(300)))
        XCTAssertThrowsError(try ours.decode(Int.self, from: .number(1e17)), "beyond 2^53 a Double does not hold an integer exactly")
        XCTAssertEqual(try ours.decode(Int64.self, from: .number(9_007_199_254_740_992)), 9_007_199_254_740_992)
    }
}
