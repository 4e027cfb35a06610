import Foundation
@testable import HostModels
import XCTest

/// Audio deltas are the hot path: the scanner must agree with a real JSON parser; its cost is
/// printed next to JSONSerialization + base64 (both far below real time).
final class RealtimeDecodingTests: XCTestCase {
    private func delta(_ audio: [UInt8]) -> String {
        #"{"type":"response.output_audio.delta","event_id":"event_1","response_id":"resp_1","item_id":"item_7","output_index":0,"content_index":0,"delta":"\#(Data(audio).base64EncodedString())"}"#
    }

    func testTheScannerAgreesWithJSONSerializationAndFallsBackOnEscapes() throws {
        let audio = (0..<4_800).map { UInt8(truncatingIfNeeded: $0 &* 7) }   // 100 ms at 24 kHz
        let text = delta(audio)
        XCTAssertEqual(AudioDeltaScanner.scan(text), .audioDelta(itemID: "item_7", responseID: "resp_1", audio: audio))
        XCTAssertEqual(try RealtimeServerEvent.decode(text), .audioDelta(itemID: "item_7", responseID: "resp_1", audio: audio))
        // An escaped slash in the base64 is legal JSON: the scanner declines, the parser decodes it.
        let escaped = text.replacingOccurrences(of: "/", with: "\\/")
        if escaped != text {
            XCTAssertNil(AudioDeltaScanner.scan(escaped))
            XCTAssertEqual(try RealtimeServerEvent.decode(escaped), .audioDelta(itemID: "item_7", responseID: "resp_1", audio: audio))
        }
        XCTAssertThrowsError(try RealtimeServerEvent.decode(#"{"type":"response.output_audio.delta","delta":"AAAA"#))
    }

    func testMeasuredDecodeCostPerSecondOfAudio() throws {
        let text = delta((0..<4_800).map { UInt8(truncatingIfNeeded: $0) })
        let rounds = 500
        var clock = ContinuousClock.now
        for _ in 0..<rounds { _ = AudioDeltaScanner.scan(text) }
        let scanned = (ContinuousClock.now - clock) / rounds
        clock = ContinuousClock.now
        for _ in 0..<rounds {
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            _ = Data(base64Encoded: object?["delta"] as? String ?? "").map { [UInt8]($0) }
        }
        let parsed = (ContinuousClock.now - clock) / rounds
        print("100 ms audio delta, scan + base64: \(scanned); JSONSerialization + base64: \(parsed)")
        XCTAssertLessThan(scanned, .milliseconds(2), "decoding 100 ms of audio must stay far below real time")
    }
}
