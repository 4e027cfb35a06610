@testable import HostServer
import Foundation
import XCTest

/// A turn's text is refused as blank by `CallerInput.isBlank` (POST /v1/chat and the chat
/// WebSocket): exactly when trimming whitespace would leave nothing, as before it replaced
/// `trimmingCharacters(in: .whitespaces)` on the hot path.
final class CallerInputBlankTests: XCTestCase {
    func testBlankIsWhatTrimmingWhitespaceWouldEmpty() {
        let samples = ["", " ", "   ", "\t", " \t \u{00A0}\u{3000}\u{2003}", "\n", " \n ", "\r", "a", " a ", "\u{00A0}x", "\u{200B}", "caf\u{E9}",
                       "I need a refund for order ORD-12345", "\u{1F600}", "  \u{2028}"]
        for text in samples {
            XCTAssertEqual(CallerInput.isBlank(text), text.trimmingCharacters(in: .whitespaces).isEmpty, "\(text.debugDescription)")
        }
        XCTAssertTrue(CallerInput.isBlank(" \t "))
        XCTAssertFalse(CallerInput.isBlank(" hi "))
    }
}
