import Foundation
import Host
import HostNet
import HostOrchestration
import HostPlugins
import XCTest

/// Plays a caller in one in-process conversation (a `LocalDeployment`): says something and returns
/// that turn's events. Shared by the department and model conversation tests.
public final class Caller: @unchecked Sendable {
    // @unchecked: `events` guarded by `condition`.
    private let condition = NSCondition()
    private var events: [ConversationEvent] = []
    public private(set) var conversation: Conversation!

    public convenience init(_ deployment: LocalDeployment, number: String = "+1555\(Int.random(in: 1_000_000...9_999_999))") {
        self.init(tenant: deployment.tenant, loop: deployment.loop, services: deployment.services, number: number)
    }

    /// A caller of `tenant`, for tests that serve several tenants from one loop and services.
    public init(tenant: TenantRuntime, loop: EventLoop, services: HostServices, number: String = "+1555\(Int.random(in: 1_000_000...9_999_999))") {
        conversation = Conversation(tenant: tenant, caller: number, loop: loop, services: services) { [self] event in
            condition.lock()
            events.append(event)
            condition.broadcast()
            condition.unlock()
        }
        conversation.start()
    }

    /// Sends `text` and waits for the turn's `turn_end` (or the session's `end`).
    public func say(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Turn {
        condition.lock()
        let start = events.count
        condition.unlock()
        conversation.send(text)
        let deadline = Date().addingTimeInterval(20)
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
            _ = condition.wait(until: Date().addingTimeInterval(0.05))
        }
        return Turn(events: Array(events[start...]))
    }

    public var allEvents: [ConversationEvent] {
        condition.lock(); defer { condition.unlock() }
        return events
    }
}

/// One turn's events, with the views tests assert on.
public struct Turn {
    public let events: [ConversationEvent]

    public var replies: [String] { events.compactMap { if case .agent(_, let text) = $0 { text } else { nil } } }
    public var reply: String { replies.joined(separator: " ") }
    public var endedOn: String? { events.compactMap { if case .turnEnd(let agent, _) = $0 { agent } else { nil } }.last }
    /// The agents handed to, in order.
    public var handoffs: [String] { events.compactMap { if case .handoff(_, let to, _) = $0 { to } else { nil } } }
    /// Each handoff as "From -> To".
    public var handoffRoutes: [String] { events.compactMap { if case .handoff(let from, let to, _) = $0 { "\(from) -> \(to)" } else { nil } } }
    public var toolsCalled: [String] { events.compactMap { if case .toolCall(_, let tool, _, _) = $0 { tool } else { nil } } }
    public var toolResults: [(tool: String, ok: Bool, output: String)] {
        events.compactMap { if case .toolResult(let tool, _, let ok, let output) = $0 { (tool, ok, output) } else { nil } }
    }
    public var errors: [(code: String, message: String)] {
        events.compactMap { if case .error(let code, let message) = $0 { (code, message) } else { nil } }
    }
    public var escalation: (department: String, position: Int, wait: Int)? {
        for case let .escalated(_, department, position, wait) in events { return (department, position, wait) }
        return nil
    }
    public var ended: String? { events.compactMap { if case .end(let reason) = $0 { reason } else { nil } }.last }
    public func toolArguments(_ tool: String) -> String? {
        for case let .toolCall(_, name, _, arguments) in events where name == tool { return arguments }
        return nil
    }
    /// The contract's shape of the turn: event types, agent names where they matter.
    public var shape: [String] {
        events.compactMap { event in
            switch event {
            case .agent(let agent, _): "agent:\(agent)"
            case .handoff(let from, let to, _): "handoff:\(from)->\(to)"
            case .toolCall(let agent, let tool, _, _): "tool_call:\(agent):\(tool)"
            case .toolResult(let tool, _, let ok, _): "tool_result:\(tool):\(ok)"
            case .turnEnd(let agent, _): "turn_end:\(agent)"
            case .session: nil
            default: event.type
            }
        }
    }
    public var json: String { events.map(\.json).joined(separator: "\n") }
}
