import Foundation
import HostVoice
import XCTest

/// `TwilioInbound.parse`: the media fast path reads exactly what the JSON path would.
final class TwilioInboundTests: XCTestCase {
    private let audio: [UInt8] = (0..<160).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    private var payload: String { Data(audio).base64EncodedString() }

    private func media(_ text: String) throws -> [UInt8]? {
        if case .media(let bytes) = try TwilioInbound.parse(text) { return bytes }
        return nil
    }

    func testTwilioShapedMediaAndAnyOtherSpellingGiveTheSameAudio() throws {
        let compact = #"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"\#(payload)"},"streamSid":"MZ1"}"#
        let spaced = #"{ "event": "media", "media": { "payload": "\#(payload)" }, "sequenceNumber": 3 }"#
        XCTAssertEqual(try media(compact), audio)
        XCTAssertEqual(try media(spaced), audio)
        XCTAssertEqual(try media(#"{"event":"media","media":{"payload":"\#(payload)"}}"#), audio)   // no track: inbound
    }

    /// Found by agent-host-fuzz twilio: the fast path searched the text, so a track that is not
    /// "inbound" (or "outbound") was taken for the caller's audio, as was a `stop` carrying
    /// `"event":"media"` deeper down, or a top-level "payload" before the media's.
    func testOnlyInboundMediaInTwilioShapeTakesTheFastPath() throws {
        let other = #"{"event":"media","media":{"track":"inbound_x","payload":"\#(payload)"}}"#
        guard case .other(let event) = try TwilioInbound.parse(other) else { return XCTFail("\(other) read as audio") }
        XCTAssertEqual(event, "media:inbound_x")

        let stop = #"{"event":"stop","stop":{"event":"media","payload":"\#(payload)"}}"#
        guard case .stop = try TwilioInbound.parse(stop) else { return XCTFail("a stop read as audio") }

        let decoy = #"{"payload":"QUJD","event":"media","media":{"track":"inbound","payload":"\#(payload)"}}"#
        XCTAssertEqual(try media(decoy), audio, "the top-level payload was taken for the media's")

        let repeated = #"{"event":"media","media":{"payload":"QUJD"},"media":{"payload":"\#(payload)"}}"#
        XCTAssertEqual(try media(repeated), try media(String(data: JSONSerialization.data(withJSONObject:
            JSONSerialization.jsonObject(with: Data(repeated.utf8))), encoding: .utf8)!), "fast and JSON paths disagree on a repeated key")
    }

    func testBadPayloadIsTheSameErrorOnBothPaths() {
        for text in [#"{"event":"media","media":{"payload":"not base64!"}}"#, #"{ "event": "media", "media": { "payload": "not base64!" } }"#] {
            XCTAssertThrowsError(try TwilioInbound.parse(text)) { XCTAssertEqual("\($0)", "media needs a base64 media.payload") }
        }
    }
}
