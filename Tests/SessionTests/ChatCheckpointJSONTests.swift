import Foundation
import HostSessions
import XCTest

/// The checkpoint's direct writer (`ChatCheckpoint.jsonText`) against JSONEncoder, which wrote it
/// before: the same JSON value for every field, optional ones present and absent, and text that
/// needs escaping (quotes, backslashes, control characters, slashes, non-ASCII, emoji).
final class ChatCheckpointJSONTests: XCTestCase {
    private func checkpoint(history lines: Int, optionals: Bool) -> ChatCheckpoint {
        let awkward = "say \"hi\"\\ back/forth\n\ttab \u{1} é 日本 🎧"
        var checkpoint = ChatCheckpoint(
            sessionID: "9f1c-\(lines)", tenant: "acme", caller: "+15551234567",
            currentAgent: "com.agenthost.support.refund",
            agentStates: ["com.agenthost.support.refund": #"{"expect":"order_id","note":"\#(awkward)"}"#, "com.agenthost.support.triage": "{}"],
            history: (0..<lines).map { ChatCheckpoint.Line(role: $0 % 2 == 0 ? "user" : "agent", agent: $0 % 2 == 0 ? nil : "Refund Agent",
                                                           text: "line \($0): \(awkward)") },
            turnNumber: lines / 2, agentsVisited: ["Triage Agent", "Refund Agent"], toolsCalled: optionals ? ["lookup_order", awkward] : [],
            previousSessions: optionals ? [#"{"session_id":"old","outcome":"resolved"}"#] : [],
            startedAt: "2026-12-06T11:00:00.000Z", updatedAt: "2026-12-06T11:05:00.123Z",
            traceParent: optionals ? "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" : nil)
        if optionals {
            checkpoint.owner = ChatOwner(hostID: "web-1-8080", address: "http://10.0.0.5:8080", loop: 1)
            checkpoint.inheritedLines = 2
        }
        return checkpoint
    }

    private func encoderText(_ checkpoint: ChatCheckpoint) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(checkpoint), as: UTF8.self)
    }

    private func value(_ text: String) throws -> NSDictionary {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary, text)
    }

    func testTheDirectWriterWritesWhatJSONEncoderWrote() throws {
        for (lines, optionals) in [(0, false), (1, true), (7, false), (40, true)] {
            let checkpoint = checkpoint(history: lines, optionals: optionals)
            let text = try checkpoint.jsonText()
            XCTAssertEqual(try value(text), try value(try encoderText(checkpoint)), "\(lines) lines, optionals \(optionals): \(text)")
            XCTAssertEqual(try ChatCheckpoint.decode(text), checkpoint, "it reads back")
            XCTAssertFalse(text.contains("\n"), "compact: one line")
        }
    }

    /// The save script reads the stored turn with a pattern on the top-level key (RedisChatCheckpoints.saveScript).
    func testTheTurnNumberIsWhereTheSaveScriptLooksForIt() throws {
        let text = try checkpoint(history: 7, optionals: true).jsonText()
        XCTAssertTrue(text.contains("\"turn_number\":3,"), text)
        XCTAssertEqual(text.components(separatedBy: "\"turn_number\":").count, 2, "only the top-level key matches: \(text)")
    }

    /// A lease is compared as text (compare-and-set scripts): the direct writer keeps JSONEncoder's bytes.
    func testAnOwnersTextIsTheBytesJSONEncoderWrote() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for owner in [ChatOwner(hostID: "web-1-8080", address: "http://10.0.0.5:8080"),
                      ChatOwner(hostID: "vm-55349", address: "http://[::1]:8080", instance: "1c931175-1b26-4204-b4d2-799ef35dda2d", loop: 3)] {
            XCTAssertEqual(owner.jsonText(), String(decoding: try encoder.encode(owner), as: UTF8.self))
            XCTAssertEqual(ChatOwner.decode(owner.jsonText()), owner)
        }
    }
}
