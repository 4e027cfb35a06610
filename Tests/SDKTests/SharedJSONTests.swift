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

    /// The escaper works on UTF-8 bytes (it is on every turn's hot path): it must write exactly
    /// what escaping scalar by scalar writes, for text with nothing to escape (copied whole), for
    /// other characters led by 0xE2 like U+2028 and U+2029 ("…", "€", "–"), multi-byte text, every
    /// control character, and escapes at either end.
    func testTheByteEscaperWritesWhatTheScalarRulesSay() {
        func byScalars(_ value: String) -> String {
            var out = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        var samples = ["", "plain ASCII order ORD-12345", "caf\u{E9} \u{1F600} \u{65E5}\u{672C}", "\u{2026}\u{20AC}\u{2013}\u{2028}\u{2029}\u{2027}\u{202A}",
                       "\"", "\\", "\u{2028}", "ends with \u{2029}", "\u{2029} starts", "\u{7F} is not escaped", #"{"order_id":"ORD-1","items":["a\\b"]}"#]
        samples += (0..<0x20).map { "x" + String(UnicodeScalar(UInt8($0))) + "y" }
        for sample in samples {
            XCTAssertEqual(JSONString.quote(sample), byScalars(sample), "escaping \(sample.debugDescription)")
            XCTAssertEqual(try JSONValue.parse(JSONString.quote(sample)).string, sample, "round trip of \(sample.debugDescription)")
        }
    }
}
