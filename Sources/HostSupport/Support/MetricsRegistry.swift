import Foundation
import Synchronization

/// The host's one metrics registry, rendered in Prometheus text format for `GET /metrics`.
/// Counters, gauges and histograms keyed by name and sorted label set.
public final class MetricsRegistry: Sendable {
    public static let defaultBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900]

    struct Key: Hashable {
        let name: String
        let labels: [String: String]
    }

    struct Histogram {
        var buckets: [Double]
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0

        mutating func record(_ value: Double) {
            for (i, bound) in buckets.enumerated() where value <= bound { counts[i] += 1 }
            sum += value
            count += 1
        }
    }

    struct Families: ~Copyable {
        var help: [String: (type: String, help: String)] = [:]
        var counters: [Key: Double] = [:]
        var gauges: [Key: Double] = [:]
        var histograms: [Key: Histogram] = [:]
    }

    private let families = Mutex(Families())

    public init() {}

    public func describe(_ name: String, type: String, help: String) {
        families.withLock { $0.help[name] = (type, help) }
    }

    public func increment(_ name: String, by value: Double = 1, labels: [String: String] = [:]) {
        families.withLock { $0.counters[Key(name: name, labels: labels), default: 0] += value }
    }

    public func set(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        families.withLock { $0.gauges[Key(name: name, labels: labels)] = value }
    }

    public func add(_ name: String, _ delta: Double, labels: [String: String] = [:]) {
        families.withLock { $0.gauges[Key(name: name, labels: labels), default: 0] += delta }
    }

    public func observe(_ name: String, _ value: Double, labels: [String: String] = [:], buckets: [Double] = MetricsRegistry.defaultBuckets) {
        families.withLock { f in
            // In place: a copy taken out of the dictionary and stored back copied `counts` (an
            // allocation under the registry's lock, which every loop shares) at every observation.
            f.histograms[Key(name: name, labels: labels), default: Histogram(buckets: buckets, counts: Array(repeating: 0, count: buckets.count))]
                .record(value)
        }
    }

    /// Current value of a counter (0 when never incremented); for tests and health output.
    public func counter(_ name: String, labels: [String: String] = [:]) -> Double {
        families.withLock { $0.counters[Key(name: name, labels: labels)] ?? 0 }
    }

    public func gauge(_ name: String, labels: [String: String] = [:]) -> Double? {
        families.withLock { $0.gauges[Key(name: name, labels: labels)] }
    }

    /// Prometheus text exposition format 0.0.4.
    public func render() -> String {
        families.withLock { f in
            var out = ""
            var described = Set<String>()
            func header(_ name: String, _ type: String) {
                guard described.insert(name).inserted else { return }
                if let h = f.help[name] { out += "# HELP \(name) \(h.help)\n" }
                out += "# TYPE \(name) \(f.help[name]?.type ?? type)\n"
            }
            for (key, value) in f.counters.sorted(by: { Self.order($0.key, $1.key) }) {
                header(key.name, "counter")
                out += "\(key.name)\(Self.labelText(key.labels)) \(Self.number(value))\n"
            }
            for (key, value) in f.gauges.sorted(by: { Self.order($0.key, $1.key) }) {
                header(key.name, "gauge")
                out += "\(key.name)\(Self.labelText(key.labels)) \(Self.number(value))\n"
            }
            // Described families with no samples yet still announce themselves (HELP/TYPE).
            let sampled = Set(f.counters.keys.map(\.name) + f.gauges.keys.map(\.name) + f.histograms.keys.map(\.name))
            for name in f.help.keys.sorted() where !sampled.contains(name) { header(name, f.help[name]!.type) }
            for (key, h) in f.histograms.sorted(by: { Self.order($0.key, $1.key) }) {
                header(key.name, "histogram")
                for (i, bound) in h.buckets.enumerated() {
                    var labels = key.labels
                    labels["le"] = Self.number(bound)
                    out += "\(key.name)_bucket\(Self.labelText(labels)) \(h.counts[i])\n"
                }
                var inf = key.labels
                inf["le"] = "+Inf"
                out += "\(key.name)_bucket\(Self.labelText(inf)) \(h.count)\n"
                out += "\(key.name)_sum\(Self.labelText(key.labels)) \(Self.number(h.sum))\n"
                out += "\(key.name)_count\(Self.labelText(key.labels)) \(h.count)\n"
            }
            return out
        }
    }

    private static func order(_ a: Key, _ b: Key) -> Bool {
        a.name != b.name ? a.name < b.name : labelText(a.labels) < labelText(b.labels)
    }

    private static func labelText(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let body = labels.sorted { $0.key < $1.key }.map { key, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }
        return "{" + body.joined(separator: ",") + "}"
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
