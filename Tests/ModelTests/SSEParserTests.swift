import HostModels
import XCTest

final class SSEParserTests: XCTestCase {
    /// A realistic stream: a comment (keep-alive), CRLF line ends, an event with two data lines,
    /// an `event:` field, then [DONE].
    let stream = ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: note\ndata: line one\ndata:line two\n\ndata: [DONE]\n\n"
    let expected = [SSEParser.Event(data: "{\"a\":1}"), SSEParser.Event(event: "note", data: "line one\nline two"), SSEParser.Event(data: "[DONE]")]

    private func parse(_ pieces: [[UInt8]]) -> [SSEParser.Event] {
        var parser = SSEParser()
        var events: [SSEParser.Event] = []
        for piece in pieces { parser.feed(piece) { events.append($0) } }
        return events
    }

    func testEverySplitPointGivesTheSameEvents() {
        let bytes = Array(stream.utf8)
        XCTAssertEqual(parse([bytes]), expected)
        for cut in 0...bytes.count {
            XCTAssertEqual(parse([Array(bytes[..<cut]), Array(bytes[cut...])]), expected, "split at byte \(cut)")
        }
    }

    func testEveryPairOfSplitPointsAndByteAtATime() {
        let bytes = Array(stream.utf8)
        for first in stride(from: 0, through: bytes.count, by: 3) {
            for second in first...bytes.count {
                let events = parse([Array(bytes[..<first]), Array(bytes[first..<second]), Array(bytes[second...])])
                XCTAssertEqual(events, expected, "splits at \(first), \(second)")
            }
        }
        XCTAssertEqual(parse(bytes.map { [$0] }), expected)
    }

    func testBareCarriageReturnsEndLinesAndAnEventWithoutDataIsNotDispatched() {
        XCTAssertEqual(parse([Array("data: x\r\rid: 7\r\r".utf8)]), [SSEParser.Event(data: "x")])
    }
}
