import AgentHostSDK
import XCTest

/// AgentHostJSON is the one JSON value type, parser and writer of host and SDK: the SDK re-exports
/// it, so plugin code and the host's model and Realtime paths read and write the same values.
final class SharedJSONTests: XCTestCase {
    func testASyntaxErrorSaysWhereAndWhat() {
        XCTAssertThrowsError(try JSONValue.parse(#"{"a": tru}"#)) { error in
            let syntax = error as? JSONValue.SyntaxError
            XCTAssertEqual(syntax?.offset, 6)
            XCTAssertEqual(syntax?.description, "invalid JSON at byte 6: invalid literal")
        }
    }

    func testTheHostsSpellingsReadTheSameValue() throws {
        let value = try JSONValue.parse(#"{"choices":[{"index":2,"delta":{"content":"hi"}}],"usage":null}"#)
        XCTAssertEqual(value["choices"]?[0]?["index"]?.int, 2)
        XCTAssertEqual(value["choices"]?[0]?["delta"]?["content"]?.string, value["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue)
        XCTAssertEqual(value["usage"]?.isNull, true)
        XCTAssertNil(JSONValue.number(2.5).int, "only integral numbers are ints")
    }

    func testOneEscaperWritesStringsEverywhere() {
        let text = "line\nbreak \"quoted\" \u{2028} \u{01}"
        var writer = JSONWriter()
        writer.string(text)
        XCTAssertEqual(writer.text, JSONString.quote(text))
        XCTAssertEqual(JSONValue.string(text).jsonString(), JSONString.quote(text))
        XCTAssertEqual(JSONString.quote(text), #""line\nbreak \"quoted\" \u2028 \u0001""#)
    }
}
