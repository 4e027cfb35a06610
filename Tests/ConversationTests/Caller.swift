import Foundation
import Host
import XCTest

/// Plays a caller in one conversation: says something and returns that turn's events.
final class Caller: @unchecked Sendable {
    // @unchecked: `events` guarded by `condition`.
    private let condition = NSCondition()
    private var events: [ConversationEvent] = []
    private(set) var conversation: Conversation!

    init(_ deployment: LocalDeployment, number: String = "+1555\(Int.random(in: 1_000_000...9_999_999))") {
        conversation = deployment.conversation(caller: number) { [self] event in
            condition.lock()
            events.append(event)
            condition.broadcast()
            condition.unlock()
        }
        conversation.start()
    }

    /// Sends `text` and waits for the turn's `turn_end` (or the session's `end`).
    func say(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Turn {
        condition.lock()
        let start = events.count
        condition.unlock()
        conversation.send(text)
        let deadline = Date().addingTimeInterval(15)
        condition.lock()
        defer { condition.unlock() }
        while !events[start...].contains(where: { $0.type == "turn_end" || $0.type == "end" }) {
            if !condition.wait(until: deadline) {
                XCTFail("no turn_end for \"\(text)\"; events: \(events[start...].map(\.json))", file: file, line: line)
                break
            }
        }
        // An `end` may follow the turn_end within the same loop iteration; give it a moment.
        if !events[start...].contains(where: { $0.type == "end" }) && events.last?.type == "turn_end" {
            _ = condition.wait(until: Date().addingTimeInterval(0.02))
        }
        return Turn(events: Array(events[start...]))
    }

    var allEvents: [ConversationEvent] {
        condition.lock(); defer { condition.unlock() }
        return events
    }
}

struct Turn {
    let events: [ConversationEvent]

    var replies: [String] { events.compactMap { if case .agent(_, let text) = $0 { return text } else { return nil } } }
    var reply: String { replies.joined(separator: " ") }
    var endedOn: String? { events.compactMap { if case .turnEnd(let agent) = $0 { return agent } else { return nil } }.last }
    var handoffs: [String] { events.compactMap { if case .handoff(_, let to, _) = $0 { return to } else { return nil } } }
    var toolsCalled: [String] { events.compactMap { if case .toolCall(_, let tool, _, _) = $0 { return tool } else { return nil } } }
    var escalation: (department: String, position: Int, wait: Int)? {
        for case let .escalated(_, department, position, wait) in events { return (department, position, wait) }
        return nil
    }
    var ended: String? { events.compactMap { if case .end(let reason) = $0 { return reason } else { return nil } }.last }
    func toolArguments(_ tool: String) -> String? {
        for case let .toolCall(_, name, _, arguments) in events where name == tool { return arguments }
        return nil
    }
    var json: String { events.map(\.json).joined(separator: "\n") }
}
