import HostSupport
import HostTenancy
import XCTest

/// `telemetry:` (docs/operations.md, "Telemetry"): absent means no tracing; the endpoint must be
/// an http(s) URL, the sample ratio within 0…1; a tenant's `include_content` is off by default.
final class TelemetryConfigurationTests: XCTestCase {
    let tenant = "tenants: [{id: t, entry_agent: com.x.a, plugins: [com.x.a]}]\n"

    func testTelemetryIsOffWithoutTheSectionAndReadWithIt() throws {
        XCTAssertNil(try HostConfiguration.parse(tenant, file: "t.yaml").telemetry)
        let yaml = "telemetry:\n  otlp_endpoint: http://127.0.0.1:4318\n  service_name: support-eu\n  sample_ratio: 0.25\n  export_interval_ms: 200\n"
        let settings = try XCTUnwrap(try HostConfiguration.parse(yaml + tenant, file: "t.yaml").telemetry)
        XCTAssertEqual(settings.otlpEndpoint, "http://127.0.0.1:4318")
        XCTAssertEqual(settings.tracesURL, "http://127.0.0.1:4318/v1/traces")
        XCTAssertEqual(settings.serviceName, "support-eu")
        XCTAssertEqual(settings.sampleRatio, 0.25)
        XCTAssertEqual(settings.exportIntervalMilliseconds, 200)
        let defaults = try XCTUnwrap(try HostConfiguration.parse("telemetry: {otlp_endpoint: \"https://otel.example:4318/v1/traces\"}\n" + tenant, file: "t.yaml").telemetry)
        XCTAssertEqual(defaults.tracesURL, "https://otel.example:4318/v1/traces", "a full traces URL is kept as given")
        XCTAssertEqual(defaults.serviceName, "agent-host")
        XCTAssertEqual(defaults.sampleRatio, 1)
    }

    func testABadEndpointOrRatioIsRefusedAtItsLine() {
        let cases: [(String, String)] = [
            ("telemetry:\n  otlp_endpoint: 127.0.0.1:4318\n", "otlp_endpoint: \"127.0.0.1:4318\" must start with http:// or https://"),
            ("telemetry:\n  otlp_endpoint: \"http://:4318\"\n", "has no host"),
            ("telemetry:\n  otlp_endpoint: \"http://collector:99999\"\n", "has an invalid port"),
            ("telemetry:\n  otlp_endpoint: http://c:4318\n  sample_ratio: 1.5\n", "sample_ratio: must be between 0.0 and 1.0, got 1.5"),
            ("telemetry:\n  otlp_endpoint: http://c:4318\n  sample_ratio: -0.1\n", "sample_ratio: must be between"),
            ("telemetry:\n  service_name: x\n", "otlp_endpoint is required"),
            ("telemetry:\n  otlp_endpoint: http://c:4318\n  sampling: 1\n", "sampling"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try HostConfiguration.parse(yaml + tenant, file: "t.yaml"), yaml) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(yaml) → \(error)")
            }
        }
    }

    func testATenantOptsInToContentAndKeepsItsRedaction() throws {
        let off = try HostConfiguration.parse(tenant, file: "t.yaml")
        XCTAssertFalse(off.tenantConfiguration(off.tenants[0]).telemetry.includeContent)
        let yaml = "tenants: [{id: t, entry_agent: com.x.a, plugins: [com.x.a], telemetry: {include_content: true}, redact: [card_number]}]\n"
        let on = try HostConfiguration.parse(yaml, file: "t.yaml")
        let configuration = on.tenantConfiguration(on.tenants[0])
        XCTAssertTrue(configuration.telemetry.includeContent)
        XCTAssertEqual(configuration.telephony.redaction.kinds, [.cardNumber])
        XCTAssertThrowsError(try HostConfiguration.parse("tenants: [{id: t, entry_agent: com.x.a, plugins: [com.x.a], telemetry: {include_content: maybe}}]\n", file: "t.yaml")) { error in
            XCTAssertTrue("\(error)".contains("include_content: must be true or false"), "\(error)")
        }
    }
}
