import AgentHostPluginTesting
import Foundation
import TestSupport
import XCTest

/// The four department plugins, each loaded once from the built .so through the real ABI.
enum Departments {
    static let triageID = "com.agenthost.support.triage"
    static let billingID = "com.agenthost.support.billing"
    static let refundID = "com.agenthost.support.refund"
    static let faqID = "com.agenthost.support.faq"

    nonisolated(unsafe) private static var loaded: [String: PluginHarness] = [:]
    private static let lock = NSLock()

    /// The harness for a plugin product ("Triage", "Billing", "Refund", "FAQ").
    static func harness(_ product: String) throws -> PluginHarness {
        lock.lock()
        defer { lock.unlock() }
        if let harness = loaded[product] { return harness }
        let harness = try PluginHarness(path: BuildProducts.plugin(product), tenant: "acme")
        loaded[product] = harness
        return harness
    }

    /// A handoff target as the host puts it in the step context, built from the loaded plugin's
    /// descriptor (the harness does not expose the profile's handoff description, so the display
    /// name stands in for it).
    static func target(_ product: String) throws -> [String: Any] {
        let component = try XCTUnwrap(try harness(product).components.first)
        return ["id": component.id, "name": component.displayName, "description": component.displayName,
                "examples": component.exampleUtterances]
    }

    static func targets(_ products: [String]) throws -> [[String: Any]] {
        try products.map(target)
    }

    static var warranty: [String: Any] {
        [
            "id": "com.example.warranty", "name": "Warranty Agent",
            "description": "Warranty claims for products that broke or stopped working within their warranty period: repairs and replacements.",
            "examples": [
                "I want to make a warranty claim", "my blender's motor died and it's still under warranty",
                "is my chair covered by the warranty", "I need a repair under warranty",
                "the warranty should cover this defect", "how do I get a replacement under my guarantee",
            ],
        ]
    }
}

/// Drives one agent through a multi-step conversation: each step's setState becomes the next
/// step's "state", and what was said is carried in "history", as the host does.
final class Conversation {
    let harness: PluginHarness
    let agent: String
    let name: String
    var targets: [[String: Any]]
    var state: Any = NSNull()
    var history: [[String: Any]] = []
    var returning = false

    init(_ product: String, agent: String, targets: [[String: Any]], backend: CannedBackend? = nil) throws {
        harness = try Departments.harness(product)
        self.agent = agent
        name = harness.components.first { $0.id == agent }?.displayName ?? agent
        self.targets = targets
        if let backend { harness.toolHandler = backend.handler }
    }

    @discardableResult
    func say(_ input: String, handedOffFrom: String? = nil) async throws -> PluginHarness.StepRecord {
        var context: [String: Any] = [
            "handoff_targets": targets, "state": state, "history": history,
            "caller": ["id": "+15551234567", "returning": returning],
        ]
        if let handedOffFrom {
            context["handed_off_from"] = ["id": handedOffFrom, "name": "Triage Agent", "reason": "routed"]
        }
        let record = try await harness.step(agent: agent, input: input, context: context)
        XCTAssertEqual(record.status, 0, "step failed: \(record.message ?? "")")
        for action in record.actions {
            if case .setState(let json) = action {
                state = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
            }
        }
        if !input.isEmpty { history.append(["role": "user", "text": input]) }
        for text in record.said { history.append(["role": "agent", "agent": name, "text": text]) }
        return record
    }
}

extension PluginHarness.StepRecord {
    var text: String { said.joined(separator: " ") }

    var escalation: (department: String, reason: String?)? {
        actions.lazy.compactMap { if case .escalate(let d, let r) = $0 { return (d, r) } else { return nil } }.first
    }

    var toolCalls: [(name: String, arguments: [String: Any])] {
        actions.compactMap {
            guard case .toolCall(let name, let arguments) = $0 else { return nil }
            return (name, (try? JSONSerialization.jsonObject(with: Data(arguments.utf8))) as? [String: Any] ?? [:])
        }
    }

    var endedSession: Bool { actions.contains { if case .endSession = $0 { return true } else { return false } } }

    /// Checks the reply is speakable: short, no markdown or emoji.
    func assertSpeakable(file: StaticString = #filePath, line: UInt = #line) {
        for text in said {
            XCTAssertFalse(text.contains("*") || text.contains("#") || text.contains("`") || text.contains("\n"),
                           "not speakable: \(text)", file: file, line: line)
            XCTAssertFalse(text.unicodeScalars.contains { $0.properties.isEmojiPresentation }, "emoji in: \(text)", file: file, line: line)
            XCTAssertLessThanOrEqual(text.count, 320, "too long to read aloud: \(text)", file: file, line: line)
        }
    }
}
