import AgentHostSDK
import Synchronization

/// Trained classifiers kept per agent instance, keyed by what they were trained on (the step
/// context repeats the same handoff targets every step, so training happens once per target set).
///
/// Training is the slow part of routing: 5-13 ms for a department's scope at -O, against tens of
/// microseconds to classify. A step runs on the session thread, which serves every other call on
/// that loop, so a step never trains there: a classifier known in advance is trained when the agent
/// is created (the host's main thread) and kept by the agent; one that depends on the turn (its
/// handoff targets) is trained here, on a low-priority thread of its own (`BackgroundWork`, so it
/// never takes a core from a loop), while the step awaits it (`trained`).
public final class ClassifierCache: Sendable {
    private let entries = Mutex<[String: IntentClassifier]>([:])
    /// Trainings under way, so callers that miss the same key together share one.
    private let training = Mutex<[String: Task<IntentClassifier, Never>]>([:])
    private let capacity: Int

    public init(capacity: Int = 32) {
        self.capacity = capacity
    }

    /// The classifier for `key`; on a miss it is trained away from the calling thread, at low
    /// priority (`BackgroundWork`), and the caller awaits it. The step resumes on a normal-priority
    /// pool thread, which the ABI allows (a step may act and finish from any thread).
    public func trained(for key: String, build: @escaping @Sendable () -> IntentClassifier) async -> IntentClassifier {
        if let cached = entries.withLock({ $0[key] }) { return cached }
        let task = training.withLock { running in
            if let existing = running[key] { return existing }
            // The task only lets concurrent misses share one training; the training itself runs on
            // BackgroundWork's thread, not on the global executor's (loop-priority) threads.
            let started = Task.detached { await BackgroundWork.run(build) }
            running[key] = started
            return started
        }
        let built = await task.value
        store(built, for: key)
        training.withLock { _ = $0.removeValue(forKey: key) }
        return built
    }

    private func store(_ classifier: IntentClassifier, for key: String) {
        entries.withLock { cache in
            guard cache[key] == nil else { return }
            if cache.count >= capacity { cache.removeAll() }
            cache[key] = classifier
        }
    }

    /// A key identifying a set of handoff targets by their ids and routing material.
    public static func key(for targets: [Turn.HandoffTarget], salt: String = "") -> String {
        targets.sorted { $0.id < $1.id }
            .map { "\($0.id)#\($0.examples.count)#\($0.examples.first ?? "")#\($0.description)" }
            .joined(separator: "|") + "|" + salt
    }
}
