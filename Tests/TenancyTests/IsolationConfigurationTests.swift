import HostPlugins
import HostTenancy
import XCTest

/// `plugins: {isolation:, max_memory_mb:}` and tenants' plugin entries written as mappings.
final class IsolationConfigurationTests: XCTestCase {
    func parse(_ yaml: String) throws(ConfigurationError) -> HostConfiguration {
        try HostConfiguration.parse(yaml, file: "t.yaml", environment: [:])
    }

    func assertError(_ yaml: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try parse(yaml)
            XCTFail("expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.description, expected, file: file, line: line)
        }
    }

    func testPlainIdsTakeTheHostDefaultAndMappingsTheirOwn() throws {
        let configuration = try parse("""
            plugins:
              isolation: process
              max_memory_mb: 256
            tenants:
              - id: acme
                plugins:
                  - com.x.triage
                  - {id: com.x.tool, isolation: in_process}
                  - id: com.x.risky
                    max_memory_mb: 64
                entry_agent: com.x.triage
            """)
        XCTAssertEqual(configuration.plugins.isolation, PluginIsolation(mode: .process, maxMemoryMB: 256))
        let acme = try XCTUnwrap(configuration.tenant("acme"))
        XCTAssertEqual(acme.plugins, ["com.x.triage", "com.x.tool", "com.x.risky"])
        XCTAssertEqual(acme.pluginLocations["com.x.tool"]?.line, 8)
        let tenant = configuration.tenantConfiguration(acme)
        XCTAssertEqual(tenant.isolation(for: "com.x.triage"), PluginIsolation(mode: .process, maxMemoryMB: 256))
        XCTAssertEqual(tenant.isolation(for: "com.x.tool"), PluginIsolation(mode: .inProcess, maxMemoryMB: 256))
        XCTAssertEqual(tenant.isolation(for: "com.x.risky"), PluginIsolation(mode: .process, maxMemoryMB: 64))
    }

    func testTheDefaultIsInProcessWith512MB() throws {
        let configuration = try parse("tenants: [{id: acme, plugins: [com.x.a], entry_agent: com.x.a}]\n")
        XCTAssertEqual(configuration.plugins.isolation, PluginIsolation(mode: .inProcess, maxMemoryMB: 512))
        XCTAssertEqual(configuration.tenantConfiguration(configuration.tenants[0]).isolation(for: "com.x.a").mode, .inProcess)
    }

    func testErrorsSayWhereAndWhat() {
        assertError("""
            plugins:
              isolation: sandbox
            tenants: [{id: acme, plugins: [com.x.a], entry_agent: com.x.a}]
            """, #"t.yaml:2:14: plugins.isolation: "sandbox" is not one of in_process, process"#)
        assertError("""
            tenants:
              - id: acme
                plugins:
                  - {id: com.x.a, isolation: proces}
                entry_agent: com.x.a
            """, #"t.yaml:4:34: tenant "acme": plugins[0].isolation: "proces" is not one of in_process, process"#)
        assertError("""
            tenants:
              - id: acme
                plugins:
                  - com.x.a
                  - {id: com.x.b, max_memory_mb: 1}
                entry_agent: com.x.a
            """, #"t.yaml:5:38: tenant "acme": plugins[1].max_memory_mb: must be between 16 and 1048576, got 1"#)
        assertError("""
            tenants:
              - id: acme
                plugins:
                  - {isolation: process}
                entry_agent: com.x.a
            """, #"t.yaml:4:9: tenant "acme": plugins[0]: id is required"#)
        assertError("""
            tenants:
              - id: acme
                plugins:
                  - {id: com.x.a, memory: 5}
                entry_agent: com.x.a
            """, #"t.yaml:4:23: tenant "acme": plugins[0]: unknown key "memory""#)
        assertError("""
            tenants:
              - id: acme
                plugins:
                  - com.x.a
                  - {id: com.x.a, isolation: process}
                entry_agent: com.x.a
            """, #"t.yaml:5:14: tenant "acme": plugins: "com.x.a" is listed twice"#)
        assertError("""
            tenants:
              - id: acme
                plugins:
                  - [com.x.a]
                entry_agent: com.x.a
            """, #"t.yaml:4:9: tenant "acme": plugins: list items must be component ids or {id:, isolation:, max_memory_mb:, sha256:, version:} mappings, got a list"#)
    }
}
