import AgentHostSDK
import Synchronization

/// Trained classifiers kept per agent instance, keyed by what they were trained on (the step
/// context repeats the same handoff targets every step, so training happens once per target set).
public final class ClassifierCache: Sendable {
    private let entries = Mutex<[String: IntentClassifier]>([:])
    private let capacity: Int

    public init(capacity: Int = 32) {
        self.capacity = capacity
    }

    public func classifier(for key: String, build: () -> IntentClassifier) -> IntentClassifier {
        entries.withLock { cache in
            if let cached = cache[key] { return cached }
            if cache.count >= capacity { cache.removeAll() }
            let built = build()
            cache[key] = built
            return built
        }
    }

    /// A key identifying a set of handoff targets by their ids and routing material.
    public static func key(for targets: [Turn.HandoffTarget], salt: String = "") -> String {
        targets.sorted { $0.id < $1.id }
            .map { "\($0.id)#\($0.examples.count)#\($0.examples.first ?? "")#\($0.description)" }
            .joined(separator: "|") + "|" + salt
    }
}
