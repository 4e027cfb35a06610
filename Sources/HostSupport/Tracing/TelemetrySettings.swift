/// `telemetry: {otlp_endpoint, service_name, sample_ratio, export_interval_ms}` (docs/operations.md,
/// "Telemetry"): where the host's traces go. Absent from the file: no tracing at all.
public struct TelemetrySettings: Sendable, Equatable {
    /// The collector's OTLP/HTTP base URL (`http://collector:4318`); spans are POSTed to
    /// `<base>/v1/traces` as protobuf. A URL already ending in `/v1/traces` is used as it is.
    public var otlpEndpoint: String
    /// `service.name` of every span's resource.
    public var serviceName = "agent-host"
    /// The share of new traces recorded (0…1), decided once per trace at its root; a trace whose
    /// parent came from elsewhere follows the parent's decision (parent-based ratio sampler).
    public var sampleRatio = 1.0
    /// How long finished spans may wait in the batch before they are sent.
    public var exportIntervalMilliseconds = 5_000

    public init(otlpEndpoint: String) {
        self.otlpEndpoint = otlpEndpoint
    }

    /// Where the exporter POSTs: the OTLP/HTTP rule for a base endpoint (append `v1/traces`).
    public var tracesURL: String {
        if otlpEndpoint.hasSuffix("/v1/traces") { return otlpEndpoint }
        return otlpEndpoint.hasSuffix("/") ? otlpEndpoint + "v1/traces" : otlpEndpoint + "/v1/traces"
    }

    /// Why `url` cannot be an OTLP endpoint, or nil when it can: absolute http(s) with a host.
    public static func endpointProblem(_ url: String) -> String? {
        let lower = url.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else {
            return "must start with http:// or https:// (the collector's OTLP/HTTP port, e.g. http://127.0.0.1:4318)"
        }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.hasPrefix(":") else { return "has no host" }
        guard !url.contains(where: { $0 == " " || $0 == "\n" || $0 == "?" || $0 == "#" }) else {
            return "must not contain spaces, a query or a fragment"
        }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            let port = authority[authority.index(after: colon)...]
            guard let number = Int(port), (1...65_535).contains(number) else { return "has an invalid port \"\(port)\"" }
        }
        return nil
    }
}

/// A tenant's `telemetry: {include_content}`: whether its callers' words may go into span
/// attributes. Off by default: traces leave the host for a collector the caller never agreed to.
public struct TenantTelemetry: Sendable, Equatable {
    public var includeContent = false
    public init(includeContent: Bool = false) { self.includeContent = includeContent }
}
