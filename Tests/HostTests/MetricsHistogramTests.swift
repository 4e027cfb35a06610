import HostSupport
import XCTest

/// Histograms are updated in place under the registry's lock (MetricsRegistry.observe): each
/// observation still lands in every bucket it fits, the sum and count, per label set.
final class MetricsHistogramTests: XCTestCase {
    func testObservationsFillCumulativeBucketsSumAndCountPerLabelSet() {
        let metrics = MetricsRegistry()
        for value in [0.5, 1.5, 1.5, 7.0] { metrics.observe("turn_seconds", value, labels: ["tenant": "a"], buckets: [1, 2, 5]) }
        metrics.observe("turn_seconds", 0.1, labels: ["tenant": "b"], buckets: [1, 2, 5])
        let text = metrics.render()
        for line in ["turn_seconds_bucket{le=\"1\",tenant=\"a\"} 1", "turn_seconds_bucket{le=\"2\",tenant=\"a\"} 3",
                     "turn_seconds_bucket{le=\"5\",tenant=\"a\"} 3", "turn_seconds_bucket{le=\"+Inf\",tenant=\"a\"} 4",
                     "turn_seconds_sum{tenant=\"a\"} 10.5", "turn_seconds_count{tenant=\"a\"} 4",
                     "turn_seconds_bucket{le=\"1\",tenant=\"b\"} 1", "turn_seconds_count{tenant=\"b\"} 1"] {
            XCTAssertTrue(text.contains(line + "\n"), "missing \(line) in:\n\(text)")
        }
    }
}
