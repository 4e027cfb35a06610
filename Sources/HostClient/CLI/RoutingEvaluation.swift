import Foundation
import Host
import HostOrchestration

/// `agent-host eval routing FILE`: every line of a labelled TSV (label<TAB>utterance) as a fresh
/// session's first turn through the real plugins; prints accuracy and every miss.
/// Labels: a department (billing, refund, faq: the turn must hand off to that agent), `human`
/// (the caller must be escalated in the turn), `triage` (a clarifying question: no handoff, no
/// escalation).
public struct RoutingEvaluation {
    public struct Case: Sendable {
        public let label: String
        public let utterance: String
    }

    public struct Outcome: Sendable {
        public let expected: String
        public let actual: String
        public let utterance: String
        public var correct: Bool { expected == actual }
    }

    public static func load(_ path: String) throws -> [Case] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let cells = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard cells.count == 2 else { return nil }
            return Case(label: cells[0].trimmingCharacters(in: .whitespaces), utterance: cells[1].trimmingCharacters(in: .whitespaces))
        }
    }

    /// Maps the first turn's events to a label.
    public static func label(of events: [ConversationEvent]) -> String {
        if events.contains(where: { $0.type == "escalated" }) { return "human" }
        for event in events {
            if case let .handoff(_, to, _) = event {
                return to.replacingOccurrences(of: " Agent", with: "").lowercased()
            }
        }
        return "triage"
    }

    public static func run(_ cases: [Case], on deployment: LocalDeployment) -> [Outcome] {
        cases.enumerated().map { index, item in
            let done = DispatchSemaphore(value: 0)
            let events = EventList()
            let conversation = deployment.conversation(caller: "+1555000\(String(format: "%04d", index))") { event in
                events.append(event)
                if event.type == "turn_end" { done.signal() }
            }
            conversation.start()
            conversation.send(item.utterance)
            _ = done.wait(timeout: .now() + 20)
            conversation.end(reason: "caller_hangup")
            return Outcome(expected: item.label, actual: label(of: events.all), utterance: item.utterance)
        }
    }

    public static func report(_ outcomes: [Outcome]) -> String {
        let correct = outcomes.filter(\.correct).count
        var out = String(format: "routing accuracy: %d/%d = %.1f%%\n", correct, outcomes.count, 100 * Double(correct) / Double(max(outcomes.count, 1)))
        for label in Set(outcomes.map(\.expected)).sorted() {
            let group = outcomes.filter { $0.expected == label }
            out += "  \(label): \(group.filter(\.correct).count)/\(group.count)\n"
        }
        for miss in outcomes where !miss.correct {
            out += "  MISS expected \(miss.expected), got \(miss.actual): \(miss.utterance)\n"
        }
        return out
    }
}

/// Events collected from another thread.
public final class EventList: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var events: [ConversationEvent] = []

    public init() {}

    public func append(_ event: ConversationEvent) {
        lock.lock(); events.append(event); lock.unlock()
    }

    public var all: [ConversationEvent] {
        lock.lock(); defer { lock.unlock() }
        return events
    }
}
