import AgentHostPluginTesting
import Foundation
import SupportKit
import TestSupport
import XCTest

/// Routing quality: the labelled dev utterances through the built Triage .so, and a held-out
/// measurement on the departments' own examples (the threshold in TriageRouter is tuned here).
final class RoutingAccuracyTests: XCTestCase {
    static let devPath = BuildProducts.repositoryRoot + "/../shared/eval/routing_dev.tsv"

    /// Every line of routing_dev.tsv as a fresh first turn: billing/refund/faq must hand off to that
    /// department, human must escalate, triage (unclear) must do neither.
    func testRoutingDevAccuracy() async throws {
        guard let text = try? String(contentsOfFile: Self.devPath, encoding: .utf8) else {
            throw XCTSkip("\(Self.devPath) is not present")
        }
        let targets = try Departments.targets(["Billing", "Refund", "FAQ"])
        let expectedTarget = ["billing": Departments.billingID, "refund": Departments.refundID, "faq": Departments.faqID]
        var total = 0
        var misrouted: [String] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard fields.count == 2 else { continue }
            let (label, utterance) = (fields[0], fields[1])
            total += 1
            let step = try await Conversation("Triage", agent: Departments.triageID, targets: targets).say(utterance)
            let got: String
            if let target = step.handoffTarget {
                got = expectedTarget.first { $0.value == target }?.key ?? target
            } else if step.escalation != nil {
                got = "human"
            } else {
                got = "triage"
            }
            if got != label { misrouted.append("  \(label) → \(got): \(utterance)") }
        }
        let accuracy = Double(total - misrouted.count) / Double(max(total, 1))
        print("routing_dev.tsv: \(total - misrouted.count)/\(total) = \(String(format: "%.1f", accuracy * 100))%")
        misrouted.forEach { print($0) }
        XCTAssertGreaterThan(total, 0)
        XCTAssertGreaterThanOrEqual(accuracy, 0.95, misrouted.joined(separator: "\n"))
    }

    /// Five-fold cross-validation over the departments' own examples plus triage's human and
    /// unclear sets, with the same classes and decision as TriageRouter; prints accuracy,
    /// misroutes and clarifications per threshold, and the 80/20 hold-out (fold 0).
    func testHeldOutAccuracyOnOwnExamples() throws {
        var classes: [(label: String, examples: [String], extra: [String])] = []
        for product in ["Billing", "Refund", "FAQ"] {
            let component = try XCTUnwrap(try Departments.harness(product).components.first)
            let topic = component.displayName.replacingOccurrences(of: " Agent", with: "")
            classes.append((component.id, component.exampleUtterances, [component.displayName, topic]))
        }
        classes.append(("human", CallerPhrases.humanRequests, []))
        classes.append(("unclear", CallerPhrases.smallTalk, []))
        let departments = Set(classes.prefix(3).map(\.label))
        let thresholds = [0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7]

        func decide(_ ranking: [(label: String, probability: Double)], _ threshold: Double) -> String {
            let top = ranking[0]
            if top.label == "human" { return top.probability >= 0.5 ? "human" : "unclear" }
            return departments.contains(top.label) && top.probability >= threshold ? top.label : "unclear"
        }

        var correct = [Int](repeating: 0, count: thresholds.count)
        var wrong = [Int](repeating: 0, count: thresholds.count)
        var total = 0
        var foldZero = (correct: 0, total: 0)
        for fold in 0..<5 {
            var training: [(label: String, examples: [String])] = []
            var held: [(String, String)] = []
            for (label, examples, extra) in classes {
                var kept: [String] = []
                for (index, example) in examples.enumerated() {
                    if index % 5 == fold { held.append((label, example)) } else { kept.append(example) }
                }
                training.append((label, kept + extra))
            }
            let classifier = IntentClassifier(classes: training)
            for (label, utterance) in held {
                let ranking = classifier.classify(utterance)
                total += 1
                for (i, threshold) in thresholds.enumerated() {
                    let decision = decide(ranking, threshold)
                    if decision == label { correct[i] += 1 } else if decision != "unclear" { wrong[i] += 1 }
                }
                if fold == 0 {
                    foldZero.total += 1
                    if decide(ranking, 0.5) == label { foldZero.correct += 1 }
                }
            }
        }
        for (i, threshold) in thresholds.enumerated() {
            print(String(format: "held-out threshold %.2f: accuracy %.1f%%, misrouted %.1f%%, asked %.1f%%", threshold,
                         100 * Double(correct[i]) / Double(total), 100 * Double(wrong[i]) / Double(total),
                         100 * Double(total - correct[i] - wrong[i]) / Double(total)))
        }
        let holdOut = Double(foldZero.correct) / Double(foldZero.total)
        print(String(format: "80/20 hold-out (fold 0) at threshold 0.50: %d/%d = %.1f%%", foldZero.correct, foldZero.total, holdOut * 100))
        let chosen = try XCTUnwrap(thresholds.firstIndex(of: 0.5))
        XCTAssertGreaterThanOrEqual(Double(correct[chosen]) / Double(total), 0.8)
        XCTAssertLessThanOrEqual(Double(wrong[chosen]) / Double(total), 0.08)
    }
}
