import Foundation
import HostSessions
import XCTest

/// `Interaction.jsonText()` writes its JSON directly (it runs once per finished session, on the
/// loop): it must say exactly what the Codable encoding says, member for member, and read back
/// as the same interaction.
final class SessionRecordJSONTests: XCTestCase {
    func testTheDirectWriterSaysWhatTheCodableEncodingSays() throws {
        var withRecording = SessionRecord.Interaction(
            sessionID: "s-1", startedAt: Date(timeIntervalSince1970: 1_765_000_000.25), endedAt: Date(timeIntervalSince1970: 1_765_000_042.5),
            agents: ["Triage Agent", "Refund Agent"], tools: ["lookup_order"], outcome: "resolved",
            transcript: [SessionRecord.Line(role: "user", text: "refund ORD-1/2 \"now\" caf\u{E9} \u{2028}\n\u{1F600}"),
                         SessionRecord.Line(role: "agent", agent: "Refund Agent", text: "Done \\ ok\t.")])
        withRecording.recording = "s-1.wav"
        let plain = SessionRecord.Interaction(sessionID: "s-2", startedAt: Date(timeIntervalSince1970: 0), endedAt: Date(timeIntervalSince1970: 1),
                                              agents: [], tools: [], outcome: "", transcript: [])
        for interaction in [withRecording, plain] {
            let direct = try interaction.jsonText()
            let codable = try JSONEncoder().encode(interaction)
            let directObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(direct.utf8)) as? NSDictionary, direct)
            let codableObject = try XCTUnwrap(JSONSerialization.jsonObject(with: codable) as? NSDictionary)
            XCTAssertEqual(directObject, codableObject, direct)
            XCTAssertEqual(try JSONDecoder().decode(SessionRecord.Interaction.self, from: Data(direct.utf8)), interaction)
            XCTAssertFalse(direct.contains("\n"), "one line: \(direct)")
        }
        XCTAssertTrue(try plain.jsonText().contains(#""tools":[]"#), "an empty list stays an array")
        XCTAssertFalse(try plain.jsonText().contains("recording"), "no recording: no member")
    }
}
