import AgentHostSDK
import SupportKit

/// Routes one caller utterance: a classifier trained on every department's examples and
/// description (so a third-party department is routable from its descriptor alone) plus two
/// classes of triage's own, "human" (asking for a person) and "unclear" (greetings, vague requests).
struct TriageRouter {
    enum Decision {
        case human
        /// `guessed`: confidence was low but the caller already had a clarifying question.
        case department(Turn.HandoffTarget, probability: Double, guessed: Bool)
        case clarify(String)
        case noDepartments
    }

    /// Tuned on held-out examples (see Tests/DepartmentTests/RoutingAccuracyTests.swift): below
    /// this, triage asks one clarifying question rather than risk a wrong transfer.
    static let departmentThreshold = 0.5
    static let humanThreshold = 0.5
    static let humanLabel = "human"
    static let unclearLabel = "unclear"

    let departments: [Turn.HandoffTarget]
    let classifier: IntentClassifier

    /// The router for these departments; its classifier is trained (once per department set)
    /// away from the session thread while the step awaits it (ClassifierCache).
    static func trained(departments: [Turn.HandoffTarget], cache: ClassifierCache) async -> TriageRouter {
        let classifier = await cache.trained(for: ClassifierCache.key(for: departments, salt: "triage")) {
            IntentClassifier(classes: trainingClasses(departments))
        }
        return TriageRouter(departments: departments, classifier: classifier)
    }

    static func trainingClasses(_ departments: [Turn.HandoffTarget]) -> [(label: String, examples: [String])] {
        var classes: [(label: String, examples: [String])] = departments.map { target in
            (target.id, target.examples + [target.description, topicName(target)])
        }
        classes.append((humanLabel, CallerPhrases.humanRequests))
        classes.append((unclearLabel, CallerPhrases.smallTalk))
        return classes
    }

    func decide(_ text: String, alreadyAsked: Bool) -> Decision {
        let ranking = classifier.classify(text)
        guard let top = ranking.first else { return .noDepartments }
        if top.label == Self.humanLabel, top.probability >= Self.humanThreshold { return .human }
        guard !departments.isEmpty else { return .noDepartments }
        let bestDepartment = ranking.first { $0.label != Self.humanLabel && $0.label != Self.unclearLabel }
        if let best = bestDepartment, best.label == top.label, best.probability >= Self.departmentThreshold,
           let target = departments.first(where: { $0.id == best.label }) {
            return .department(target, probability: best.probability, guessed: false)
        }
        // Asked once already: route to the best-scoring department rather than ask again.
        if alreadyAsked, let best = bestDepartment, let target = departments.first(where: { $0.id == best.label }) {
            return .department(target, probability: best.probability, guessed: true)
        }
        return .clarify(question(ranking))
    }

    /// "Is this about billing, a refund, or a general question like shipping?", naming at most
    /// three departments (the likeliest ones for what was said), in the tenant's order.
    func question(_ ranking: [(label: String, probability: Double)]) -> String {
        let likeliest = Set(ranking.map(\.label).filter { id in departments.contains { $0.id == id } }.prefix(3))
        let topics = departments.filter { likeliest.contains($0.id) }.map(Self.topicPhrase)
        switch topics.count {
        case 0: return "How can I help you today?"
        case 1: return "Is this about \(topics[0])?"
        default: return "Is this about " + topics.dropLast().joined(separator: ", ") + ", or " + topics[topics.count - 1] + "?"
        }
    }

    /// The department's name without "Agent": "Warranty Agent" → "Warranty".
    static func topicName(_ target: Turn.HandoffTarget) -> String {
        var name = target.name
        for suffix in [" Agent", " agent", " Department", " Team"] where name.hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
        }
        return name
    }

    /// How the clarifying question names a department: our own three by their topics, any other
    /// by its name ("warranty").
    static func topicPhrase(_ target: Turn.HandoffTarget) -> String {
        switch target.id {
        case "com.agenthost.support.billing": return "billing"
        case "com.agenthost.support.refund": return "a refund"
        case "com.agenthost.support.faq": return "a general question like shipping"
        default:
            let name = topicName(target)
            if name.uppercased() == "FAQ" { return "a general question" }
            return name.allSatisfy({ $0.isUppercase || !$0.isLetter }) ? name : name.lowercased()
        }
    }
}
