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
