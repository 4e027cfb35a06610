@testable import HostOrchestration
import XCTest

/// The step context's history window: the newest messages within 32 KiB, never none.
final class ContextHistoryWindowTests: XCTestCase {
    private func messages(_ sizes: [Int]) -> [Conversation.Message] {
        sizes.map { Conversation.Message(role: "user", agent: nil, text: String(repeating: "x", count: $0)) }
    }

    func testAShortConversationIsCarriedWhole() {
        XCTAssertEqual(Conversation.historyWindow(messages([10, 20, 30])), 0)
        XCTAssertEqual(Conversation.historyWindow([]), 0)
    }

    func testALongConversationKeepsTheNewestMessagesThatFit() {
        let budget = Conversation.contextHistoryBytes
        // 20 messages of 4 KiB: 8 fit in 32 KiB.
        let history = messages(Array(repeating: 4096, count: 20))
        XCTAssertEqual(Conversation.historyWindow(history), 20 - budget / 4096)
    }

    func testTheLastMessageIsKeptEvenWhenItAloneIsOverTheBudget() {
        let history = messages([10, Conversation.contextHistoryBytes + 1])
        XCTAssertEqual(Conversation.historyWindow(history), 1)
    }
}
