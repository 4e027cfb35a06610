import HostSupport

/// `telemetry:` at the top (where traces go) and in a tenant (whether its callers' words may go
/// into them); docs/operations.md, "Telemetry".
extension HostConfiguration {
    static let telemetryKeys = ["otlp_endpoint", "service_name", "sample_ratio", "export_interval_ms"]
    static let tenantTelemetryKeys = ["include_content"]

    static func parseTelemetry(_ section: ConfigurationMapping?) throws(ConfigurationError) -> TelemetrySettings? {
        guard let section else { return nil }
        let endpoint = try section.requiredString("otlp_endpoint")
        if let problem = TelemetrySettings.endpointProblem(endpoint) {
            throw section.fail("otlp_endpoint", "\"\(endpoint)\" \(problem)")
        }
        var settings = TelemetrySettings(otlpEndpoint: endpoint)
        if let name = try section.string("service_name") {
            guard !name.isEmpty, name.utf8.count <= 255 else { throw section.fail("service_name", "must be a name of 1 to 255 bytes") }
            settings.serviceName = name
        }
        if let ratio = try section.double("sample_ratio", in: 0...1) { settings.sampleRatio = ratio }
        if let ms = try section.int("export_interval_ms", in: 10...60_000) { settings.exportIntervalMilliseconds = ms }
        return settings
    }

    static func parseTenantTelemetry(_ section: ConfigurationMapping?) throws(ConfigurationError) -> TenantTelemetry {
        var telemetry = TenantTelemetry()
        if let include = try section?.bool("include_content") { telemetry.includeContent = include }
        return telemetry
    }
}
