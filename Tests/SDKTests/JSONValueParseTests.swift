import AgentHostSDK
import XCTest

/// `JSONValue.parse`, the SDK's own JSON parser (every agent step parses its context with it;
/// plugin authors use it on whatever text they get).
final class JSONValueParseTests: XCTestCase {
    func testSurrogatePairsAndLoneSurrogates() throws {
        XCTAssertEqual(try JSONValue.parse(#""\ud83d\ude00""#), .string("😀"))
        // A high surrogate followed by an escape that is not a low surrogate used to compute a
        // negative code point and trap (found by agent-host-fuzz sdk-json): it is U+FFFD, and the
        // escape after it is read on its own.
        XCTAssertEqual(try JSONValue.parse(#""\ud83d\u0041""#), .string("\u{FFFD}A"))
        XCTAssertEqual(try JSONValue.parse(#""\ud800\ud800\udc00""#), .string("\u{FFFD}\u{10000}"))
        XCTAssertEqual(try JSONValue.parse(#""\ud83d\ud1e3""#), .string("\u{FFFD}\u{D1E3}"))
        XCTAssertEqual(try JSONValue.parse(#""\udc00x""#), .string("\u{FFFD}x"))
        XCTAssertEqual(try JSONValue.parse(#""\ud800""#), .string("\u{FFFD}"))
        XCTAssertThrowsError(try JSONValue.parse(#""\ud800\u12""#))
    }
}

extension JSONValueParseTests {
    /// Found by agent-host-fuzz sdk-json: 1e999 parsed as infinity, which jsonString() wrote as
    /// `inf` — text that is not JSON (settings and scratch state are written back that way).
    func testNumbersBeyondDoubleAreRefusedNotInfinite() throws {
        for text in ["1e999", "-1e400", "[1, 2e308]", #"{"amount": 1e309}"#] {
            XCTAssertThrowsError(try JSONValue.parse(text), text) { error in
                XCTAssertTrue("\(error)".contains("number out of range"), "\(text): \(error)")
            }
        }
        XCTAssertEqual(try JSONValue.parse("1.7976931348623157e308"), .number(1.7976931348623157e308))
        XCTAssertEqual(try JSONValue.parse("1e-400"), .number(0))   // underflow is just zero
        let value = try JSONValue.parse(#"{"a": [1.5, -0.25, 1e300, 123456789012345678]}"#)
        XCTAssertEqual(try JSONValue.parse(value.jsonString()), value)
    }
}

extension JSONValueParseTests {
    /// The parser recurses per level: 20,000 nested arrays overflowed the stack and crashed the
    /// process (reproduced with `agent-host-fuzz sdk-json --replay` on such an input).
    func testDeepNestingIsRefusedNotAStackOverflow() throws {
        for text in [String(repeating: "[", count: 1_000_000), String(repeating: #"{"a":"#, count: 100_000) + "1"] {
            XCTAssertThrowsError(try JSONValue.parse(text)) { error in
                XCTAssertTrue("\(error)".contains("nested deeper than 256 levels"), "\(error)")
            }
        }
        let deepest = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        XCTAssertEqual(try JSONValue.parse(deepest).jsonString(), deepest)
    }
}
