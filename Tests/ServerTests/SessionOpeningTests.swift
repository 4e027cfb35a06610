@testable import HostServer
import XCTest

/// A socket's session while it opens (SessionOpening): every order of the session opening, the
/// caller's words and the caller leaving, as chat, voice and Twilio connections meet them.
final class SessionOpeningTests: XCTestCase {
    func testWordsTypedBeforeTheSessionOpenedGoInInOrderWhenItOpens() {
        var opening = SessionOpening()
        XCTAssertEqual(opening.words("hello"), .kept)
        XCTAssertEqual(opening.words("my order is late"), .kept)
        XCTAssertFalse(opening.isOpen)
        XCTAssertEqual(opening.opened(), .send(["hello", "my order is late"]))
        XCTAssertTrue(opening.isOpen)
        XCTAssertEqual(opening.words("thanks"), .send, "once open, words go straight to the session")
    }

    func testAnOpeningWithNothingWaitingSendsNothing() {
        var opening = SessionOpening()
        XCTAssertEqual(opening.opened(), .send([]))
    }

    func testWordsPastTheCapAreRefusedUntilTheSessionOpens() {
        var opening = SessionOpening()
        for index in 0..<SessionOpening.maxEarlyMessages {
            XCTAssertEqual(opening.words("message \(index)"), .kept)
        }
        XCTAssertEqual(opening.words("one too many"), .refused)
        guard case .send(let early) = opening.opened() else { return XCTFail("the caller is still there") }
        XCTAssertEqual(early.count, SessionOpening.maxEarlyMessages)
        XCTAssertEqual(early.last, "message \(SessionOpening.maxEarlyMessages - 1)", "the refused words were not kept")
        XCTAssertEqual(opening.words("now it fits"), .send)
    }

    func testACallerGoneBeforeTheSessionOpenedEndsItWhenItOpens() {
        var opening = SessionOpening()
        XCTAssertEqual(opening.words("hello"), .kept)
        XCTAssertFalse(opening.hangUp(), "no session yet: nothing to end now")
        XCTAssertTrue(opening.gone)
        XCTAssertEqual(opening.words("still there?"), .ignored)
        XCTAssertEqual(opening.opened(), .end, "the session that opens after the socket closed ends at once, its early words dropped")
    }

    func testHangingUpAnOpenSessionEndsItOnce() {
        var opening = SessionOpening()
        _ = opening.opened()
        XCTAssertTrue(opening.hangUp(), "the open session is the owner's to end now")
        XCTAssertFalse(opening.hangUp(), "a close after `end` ends nothing twice")
        XCTAssertEqual(opening.words("late words"), .ignored)
    }
}
