import HostSupport
import PluginABI

/// "agent_host.metrics/1": plugin metrics land in the host's one registry as
/// agent_host_plugin_<name>{plugin,tenant,...}.
nonisolated(unsafe) let metricsTable = permanentTable(ah_host_metrics_t(
    struct_size: UInt32(MemoryLayout<ah_host_metrics_t>.size),
    counter_add: { host, name, labels, count, value in
        record(host, name, labels, count) { registry, metric, labels in
            guard value >= 0 else { return AH_ERR_INVALID_ARGUMENT }
            registry.increment(metric, by: value, labels: labels)
            return AH_OK
        }
    },
    gauge_set: { host, name, labels, count, value in
        record(host, name, labels, count) { registry, metric, labels in
            registry.set(metric, value, labels: labels)
            return AH_OK
        }
    },
    histogram_observe: { host, name, labels, count, value in
        record(host, name, labels, count) { registry, metric, labels in
            registry.observe(metric, value, labels: labels)
            return AH_OK
        }
    }))

private func record(_ host: UnsafePointer<ah_host_t>?, _ name: UnsafePointer<CChar>?,
                    _ labels: UnsafePointer<ah_metric_label_t>?, _ count: UInt32,
                    _ body: (MetricsRegistry, String, [String: String]) -> ah_status_t) -> ah_status_t {
    guard let context = InstanceContext.from(host), let name else { return AH_ERR_INVALID_ARGUMENT }
    let metric = String(cString: name)
    guard isMetricName(metric), count <= 16 else { return AH_ERR_INVALID_ARGUMENT }
    var labelMap = ["plugin": context.pluginID, "tenant": context.tenantID]
    if let labels {
        for i in 0..<Int(count) {
            guard let key = labels[i].name, let value = labels[i].value else { return AH_ERR_INVALID_ARGUMENT }
            let labelName = String(cString: key)
            guard isMetricName(labelName), labelName != "plugin", labelName != "tenant" else { return AH_ERR_INVALID_ARGUMENT }
            labelMap[labelName] = String(cString: value)
        }
    }
    return body(context.services.metrics, "agent_host_plugin_" + metric, labelMap)
}

private func isMetricName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, !name.isEmpty, name.count <= 128 else { return false }
    let allowed = { (c: Unicode.Scalar) in c.isASCII && (c.properties.isAlphabetic || c == "_" || c == ":") }
    return allowed(first) && name.unicodeScalars.allSatisfy { allowed($0) || ("0"..."9").contains($0) }
}
