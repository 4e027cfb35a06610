import AgentHostSDK
import Foundation

/// Decides whether what the caller just said belongs to this department, is a request for a
/// person, or belongs to another department — with a classifier trained on this department's own
/// examples against every handoff target's examples and description (so a sibling department's
/// descriptor is enough to recognise its requests) and the shared person-request examples.
public struct DepartmentScope: Sendable {
    public enum Decision: Sendable, Equatable {
        /// This department's business (or nothing clearly another's).
        case own
        /// The caller asked for a person.
        case human(probability: Double)
        /// Another department's business (its target id); hand back to triage.
        case elsewhere(targetID: String, name: String, probability: Double)
        /// Small talk / too vague (the triage target's own examples, e.g. "hello", "thanks").
        case smallTalk
    }

    public static let humanThreshold = 0.5
    public static let elsewhereThreshold = 0.6

    let classifier: IntentClassifier
    let targets: [Turn.HandoffTarget]

    /// The scope for this turn's handoff targets; its classifier is trained (once per target set)
    /// away from the session thread while the step awaits it (ClassifierCache).
    public static func trained(ownExamples: [String], ownDescription: String, turn: Turn, cache: ClassifierCache) async -> DepartmentScope {
        let targets = turn.handoffTargets
        let classifier = await cache.trained(for: ClassifierCache.key(for: targets, salt: "scope")) {
            var classes: [(label: String, examples: [String])] = [
                ("self", ownExamples + [ownDescription]),
                ("human", CallerPhrases.humanRequests),
            ]
            for target in targets {
                classes.append((target.id, target.examples + [target.description]))
            }
            return IntentClassifier(classes: classes)
        }
        return DepartmentScope(classifier: classifier, targets: targets)
    }

    public func decide(_ text: String) -> Decision {
        guard let top = classifier.best(text) else { return .own }
        switch top.label {
        case "self":
            return .own
        case "human":
            return top.probability >= Self.humanThreshold ? .human(probability: top.probability) : .own
        default:
            guard let target = targets.first(where: { $0.id == top.label }) else { return .own }
            if target.id.hasSuffix(".triage") || target.name.localizedStandardContains("Triage") { return .smallTalk }
            return top.probability >= Self.elsewhereThreshold
                ? .elsewhere(targetID: target.id, name: target.name, probability: top.probability) : .own
        }
    }
}
