import Foundation
import SupportKit
import XCTest

final class SpeechAndTextTests: XCTestCase {
    func testMoneyAndIDs() {
        XCTAssertEqual(Speech.money(24), "$24.00")
        XCTAssertEqual(Speech.money(1234.5), "$1,234.50")
        XCTAssertEqual(Speech.money(-64.98), "minus $64.98")
        XCTAssertEqual(Speech.money(10, currency: "EUR"), "€10.00")
        XCTAssertEqual(Speech.spell("RF-000118"), "R F 0 0 0 1 1 8")
        XCTAssertEqual(Speech.order("ORD-12345"), "order 1 2 3 4 5")
        XCTAssertEqual(Speech.date("2026-06-03T10:00:00Z"), "June 3")
        XCTAssertEqual(Speech.list(["a", "b", "c"]), "a, b and c")
    }

    func testSpeakableArticleText() {
        XCTAssertEqual(Speech.speakable("Takes 3-5 **business** days."), "Takes 3 to 5 business days.")
        XCTAssertEqual(Speech.firstSentences("One costs $5.99 here. Two is longer than the limit allows.", limit: 25), "One costs $5.99 here.")
    }

    func testNormalisation() {
        XCTAssertEqual(TextNormalizer.words("I'd like what's on my bill, don't charge ORD12345"),
                       ["i", "would", "like", "what", "is", "on", "my", "bill", "do", "not", "charge", "ord", "12345"])
        XCTAssertEqual(TextNormalizer.stem("charges"), TextNormalizer.stem("charged"))
        XCTAssertEqual(TextNormalizer.stem("shipping"), "ship")
        XCTAssertEqual(TextNormalizer.stem("refunds"), "refund")
    }
}

/// `trimmingWhitespace` trims exactly what Foundation's `.whitespacesAndNewlines` trims.
final class TrimmingTests: XCTestCase {
    func testTrimsWhatFoundationTrims() {
        let samples = [
            "", " ", "\t\n\r\u{0B}\u{0C}", "refund", "  refund  ", "\n I need a refund \t", "a b",
            "\u{00A0}no-break\u{00A0}", "\u{2003}em\u{2009}thin\u{3000}", "\u{0085}next line\u{2028}\u{2029}",
            " café ", "  🙂 ", "x\u{200B}", "\u{200B}zero width\u{200B}", "\u{FEFF}bom",
        ]
        for sample in samples {
            XCTAssertEqual(sample.trimmingWhitespace(), sample.trimmingCharacters(in: .whitespacesAndNewlines), "\(sample.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        // Every scalar of the Basic Multilingual Plane, alone and between letters.
        var differing: [String] = []
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar))
            if text.trimmingWhitespace() != text.trimmingCharacters(in: .whitespacesAndNewlines) { differing.append(String(value, radix: 16)) }
        }
        XCTAssertEqual(differing, [])
    }
}
