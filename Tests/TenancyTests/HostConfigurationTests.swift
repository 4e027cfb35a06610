import Foundation
import HostOrchestration
import HostTenancy
import TestSupport
import XCTest

final class HostConfigurationTests: XCTestCase {
    static let exampleEnvironment = [
        "SUPPORT_BACKEND_URL": "http://127.0.0.1:8090",
        "SUPPORT_BACKEND_API_KEY": "backend-key",
    ]
    var examplePath: String { BuildProducts.repositoryRoot + "/config/example.yaml" }

    func parse(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationError) -> HostConfiguration {
        try HostConfiguration.parse(yaml, file: "t.yaml", environment: environment)
    }

    /// Parsing fails with exactly `expected` (`file:line:column: message`).
    func assertError(_ yaml: String, _ expected: String, environment: [String: String] = [:],
                     file: StaticString = #filePath, line: UInt = #line) {
        do {
            let configuration = try parse(yaml, environment: environment)
            XCTFail("expected \(expected), got a configuration with tenants \(configuration.tenants.map(\.id))", file: file, line: line)
        } catch {
            XCTAssertEqual(error.description, expected, file: file, line: line)
        }
    }

    func jsonObject(_ text: String?, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let data = Data(try XCTUnwrap(text, file: file, line: line).utf8)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], "not an object: \(text ?? "")", file: file, line: line)
    }

    // MARK: - the example file

    func testExampleFileLoads() throws {
        let configuration = try HostConfiguration.load(path: examplePath, environment: Self.exampleEnvironment)
        XCTAssertEqual(configuration.file, examplePath)
        XCTAssertEqual(configuration.tenants.map(\.id), ["acme", "globex"])
        XCTAssertEqual(configuration.defaultTenant, "acme")
        XCTAssertEqual(configuration.server.host, "127.0.0.1")
        XCTAssertEqual(configuration.server.port, 8080)
        XCTAssertEqual(configuration.server.http.maxBodyBytes, 1_048_576)
        XCTAssertEqual(configuration.redis.url, "redis://127.0.0.1:6379/0", "the ${REDIS_URL:-...} fallback")
        XCTAssertEqual(configuration.redis.journalPath, BuildProducts.repositoryRoot + "/config/./agent-host-journal.log")
        XCTAssertEqual(configuration.plugins.extensions,
                       ["agent_host.http/1", "agent_host.session-kv/1", "agent_host.metrics/1", "agent_host.timer/1"])

        let acme = try XCTUnwrap(configuration.tenant("acme"))
        XCTAssertEqual(acme.plugins.count, 11)
        XCTAssertEqual(acme.entryAgent, "com.agenthost.support.triage")
        XCTAssertEqual(acme.apiKeyHashes, [APIKeys.hash("acme-demo-key")])
        XCTAssertTrue(acme.policy.accepts(key: "acme-demo-key"))
        XCTAssertFalse(acme.policy.accepts(key: nil))
        XCTAssertEqual(acme.limits.maxConcurrentSessions, 500)
        XCTAssertEqual(acme.turnDetection, TurnDetection(threshold: 0.5, prefixPaddingMilliseconds: 300, silenceMilliseconds: 800))
        let commerce = acme.plugins.filter { $0.hasPrefix("com.agenthost.commerce.") }
        XCTAssertEqual(commerce.count, 6)
        for tool in commerce {
            // The YAML alias gives every commerce tool the same settings.
            let settings = try jsonObject(acme.settings[tool])
            XCTAssertEqual(settings["backend_url"] as? String, "http://127.0.0.1:8090", tool)
            XCTAssertEqual(settings["api_key"] as? String, "backend-key", tool)
            XCTAssertEqual(settings["timeout_ms"] as? Int, 3000, tool)
        }
        XCTAssertEqual(acme.settings["com.agenthost.examples.store-hours"], "{}")
        XCTAssertNil(acme.settings["com.agenthost.support.triage"])

        let globex = try XCTUnwrap(configuration.tenant("globex"))
        XCTAssertTrue(globex.apiKeyHashes.isEmpty)
        XCTAssertTrue(globex.policy.accepts(key: nil))
        XCTAssertEqual(globex.limits.maxSessionsPerCaller, 1)
        XCTAssertEqual(globex.limits.maxHandoffsPerTurn, 3, "default")
        XCTAssertEqual(globex.limits.maxToolCallsPerTurn, 4)
        XCTAssertEqual(globex.turnDetection, TurnDetection(threshold: 0.5, prefixPaddingMilliseconds: 300, silenceMilliseconds: 600))

        // The orchestration's view.
        let configurations = configuration.tenantConfigurations
        XCTAssertEqual(configurations.map(\.id), ["acme", "globex"])
        XCTAssertEqual(configurations[0].grantedExtensions, configuration.plugins.extensions, "the default grant")
        XCTAssertEqual(configurations[1].grantedExtensions, ["agent_host.http/1", "agent_host.metrics/1"], "its own list")
        XCTAssertEqual(configurations[1].limits.maxToolCallsPerTurn, 4)
        XCTAssertEqual(configurations[0].limits.stepTimeoutMilliseconds, 15_000)
        XCTAssertEqual(configurations[0].settings, acme.settings)
        XCTAssertEqual(configuration.tenantPolicies.map(\.maxConcurrentSessions), [500, 50])
    }

    func testExampleNeedsItsEnvironmentVariables() throws {
        let text = try String(contentsOfFile: examplePath, encoding: .utf8)
        let line = try XCTUnwrap(text.components(separatedBy: "\n").firstIndex { $0.contains("backend_url: ${SUPPORT_BACKEND_URL}") }) + 1
        XCTAssertThrowsError(try HostConfiguration.load(path: examplePath, environment: ["SUPPORT_BACKEND_API_KEY": "k"])) { error in
            XCTAssertEqual("\(error)", "\(examplePath):\(line):22: tenant \"acme\": settings: \"com.agenthost.commerce.lookup-order\": "
                + "environment variable SUPPORT_BACKEND_URL is not set")
        }
    }

    /// docs/operations.md shows the example file; the two must not drift apart.
    func testOperationsGuideShowsTheExampleFile() throws {
        let guide = try String(contentsOfFile: BuildProducts.repositoryRoot + "/docs/operations.md", encoding: .utf8)
        let start = try XCTUnwrap(guide.range(of: "```yaml\n"))
        let end = try XCTUnwrap(guide.range(of: "\n```", range: start.upperBound..<guide.endIndex))
        let shown = String(guide[start.upperBound..<end.lowerBound]) + "\n"
        let example = try String(contentsOfFile: examplePath, encoding: .utf8)
        let body = String(example[try XCTUnwrap(example.range(of: "server:\n")).lowerBound...])
        XCTAssertEqual(shown, body, "update the example in docs/operations.md from config/example.yaml")
        XCTAssertEqual(try parse(shown, environment: Self.exampleEnvironment).tenants.count, 2)
    }

    func testHostReportsAnUnavailablePluginWhereTheFileListsIt() throws {
        let configuration = try HostConfiguration.load(path: examplePath, environment: Self.exampleEnvironment)
        let text = try String(contentsOfFile: examplePath, encoding: .utf8)
        let line = try XCTUnwrap(text.components(separatedBy: "\n").firstIndex { $0.hasSuffix("- com.agenthost.support.refund") }) + 1
        let error = configuration.error(tenant: "acme", plugin: "com.agenthost.support.refund", "is unavailable: not loaded")
        XCTAssertEqual(error.description, "\(examplePath):\(line):9: tenant \"acme\": plugin \"com.agenthost.support.refund\" is unavailable: not loaded")
    }

    // MARK: - defaults

    func testDefaultsApplied() throws {
        let configuration = try parse("""
            tenants:
              - id: solo
                plugins: [com.x.triage]
                entry_agent: com.x.triage
            """, environment: ["AGENT_HOST_PLUGIN_PATH": "/opt/a:/opt/b"])
        XCTAssertEqual(configuration.server, HostConfiguration.Server())
        XCTAssertEqual(configuration.server.host, "127.0.0.1")
        XCTAssertEqual(configuration.server.port, 8080)
        XCTAssertEqual(configuration.server.maxHeaderBytes, 16_384)
        XCTAssertEqual(configuration.server.maxBodyBytes, 1_048_576)
        XCTAssertEqual(configuration.server.maxWebSocketMessageBytes, 1_048_576)
        XCTAssertEqual(configuration.server.idleTimeoutMilliseconds, 30_000)
        XCTAssertEqual(configuration.server.maxSessions, 1000)
        XCTAssertEqual(configuration.server.drainDeadlineSeconds, 30)
        XCTAssertEqual(configuration.server.lostCallSweepSeconds, 30)
        XCTAssertNil(configuration.redis.url)
        XCTAssertEqual(configuration.redis.commandTimeoutMilliseconds, 1000)
        XCTAssertEqual(configuration.redis.journalPath, "./agent-host-journal.log")
        XCTAssertEqual(configuration.plugins.directories, ["/opt/a", "/opt/b"], "PluginLoader's default")
        XCTAssertNil(configuration.plugins.extensions)
        XCTAssertEqual(configuration.defaultTenant, "solo", "the only tenant")

        let tenant = try XCTUnwrap(configuration.tenant("solo"))
        XCTAssertEqual(tenant.limits, HostConfiguration.Tenant.Limits())
        XCTAssertEqual(tenant.limits.maxConcurrentSessions, 1000)
        XCTAssertEqual(tenant.limits.maxSessionsPerCaller, 2)
        XCTAssertEqual(tenant.turnDetection.threshold, 0.5)
        XCTAssertEqual(tenant.turnDetection.prefixPaddingMilliseconds, 300)
        XCTAssertEqual(tenant.turnDetection.silenceMilliseconds, 800)
        XCTAssertNil(tenant.extensions)
        XCTAssertTrue(tenant.settings.isEmpty)
        XCTAssertTrue(tenant.apiKeyHashes.isEmpty)

        let orchestration = configuration.tenantConfigurations[0]
        let defaults = TurnLimits()
        XCTAssertEqual(orchestration.limits.maxHandoffsPerTurn, defaults.maxHandoffsPerTurn)
        XCTAssertEqual(orchestration.limits.maxToolCallsPerTurn, defaults.maxToolCallsPerTurn)
        XCTAssertEqual(orchestration.limits.stepTimeoutMilliseconds, defaults.stepTimeoutMilliseconds)
        XCTAssertNil(orchestration.grantedExtensions)
        XCTAssertEqual(configuration.tenantPolicies, [TenantPolicy(id: "solo")])
    }

    func testEveryValueSet() throws {
        let configuration = try parse("""
            server:
              host: "::1"
              port: 9000
              max_sessions: 20
              drain_deadline_seconds: 5
              lost_call_sweep_seconds: 0
              limits:
                max_header_bytes: 8192
                max_body_bytes: 65536
                max_ws_message_bytes: 32768
                idle_timeout_ms: 5000
                session_idle_timeout_ms: 60000
            redis:
              url: unix:///run/redis.sock
              command_timeout_ms: 250
              journal_path: /var/lib/agent-host/journal.log
            plugins:
              directories: [/opt/plugins, plugins]
              extensions: [agent_host.metrics/1]
            default_tenant: b
            tenants:
              - id: a
                plugins: [com.x.triage]
                entry_agent: com.x.triage
              - id: b
                api_keys: [sha256:AB\(String(repeating: "0", count: 62))]
                plugins: [com.x.triage]
                entry_agent: com.x.triage
                limits: {max_concurrent_sessions: 7, max_sessions_per_caller: 3, max_handoffs_per_turn: 0,
                         max_tool_calls_per_turn: 1, step_timeout_ms: 2500}
                turn_detection: {threshold: 1, prefix_padding_ms: 0, silence_ms: 100}
                extensions: []
            """)
        XCTAssertEqual(configuration.server.host, "::1")
        XCTAssertEqual(configuration.server.http.host, "::1")
        XCTAssertEqual(configuration.server.http.port, 9000)
        XCTAssertEqual(configuration.server.http.maxHeaderBytes, 8192)
        XCTAssertEqual(configuration.server.http.idleTimeoutMilliseconds, 5000)
        XCTAssertEqual(configuration.server.maxWebSocketMessageBytes, 32768)
        XCTAssertEqual(configuration.server.sessionIdleTimeoutMilliseconds, 60000)
        XCTAssertEqual(configuration.server.maxSessions, 20)
        XCTAssertEqual(configuration.server.drainDeadlineSeconds, 5)
        XCTAssertEqual(configuration.server.lostCallSweepSeconds, 0)
        XCTAssertEqual(configuration.redis.url, "unix:///run/redis.sock")
        XCTAssertEqual(configuration.redis.commandTimeoutMilliseconds, 250)
        XCTAssertEqual(configuration.redis.journalPath, "/var/lib/agent-host/journal.log")
        XCTAssertEqual(configuration.plugins.directories, ["/opt/plugins", "plugins"], "relative to the working directory when parsed from text")
        XCTAssertEqual(configuration.defaultTenant, "b")
        let b = try XCTUnwrap(configuration.tenant("b"))
        XCTAssertEqual(b.apiKeyHashes, ["sha256:ab" + String(repeating: "0", count: 62)], "stored lowercased")
        XCTAssertEqual(b.policy, TenantPolicy(id: "b", apiKeyHashes: b.apiKeyHashes, maxConcurrentSessions: 7, maxSessionsPerCaller: 3,
                                              turnDetection: TurnDetection(threshold: 1, prefixPaddingMilliseconds: 0, silenceMilliseconds: 100)))
        let orchestration = configuration.tenantConfiguration(b)
        XCTAssertEqual(orchestration.limits.maxHandoffsPerTurn, 0)
        XCTAssertEqual(orchestration.limits.maxToolCallsPerTurn, 1)
        XCTAssertEqual(orchestration.limits.stepTimeoutMilliseconds, 2500)
        XCTAssertEqual(orchestration.grantedExtensions, [], "an empty list grants nothing")
        XCTAssertEqual(configuration.tenantConfiguration(try XCTUnwrap(configuration.tenant("a"))).grantedExtensions, ["agent_host.metrics/1"])
    }

    func testRelativePathsAreTakenFromTheFilesDirectory() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("host.yaml")
        try """
            redis: {journal_path: data/journal.log}
            plugins: {directories: [plugins, /abs]}
            tenants: [{id: t, plugins: [com.x.a], entry_agent: com.x.a}]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try HostConfiguration.load(path: path, environment: [:])
        XCTAssertEqual(configuration.redis.journalPath, directory.path + "/data/journal.log")
        XCTAssertEqual(configuration.plugins.directories, [directory.path + "/plugins", "/abs"])
    }

    // MARK: - settings

    func testSettingsBecomeJSONObjects() throws {
        let configuration = try parse("""
            tenants:
              - id: acme
                plugins: [com.x.triage, com.x.tool, com.x.other]
                entry_agent: com.x.triage
                settings:
                  com.x.tool:
                    url: http://backend:8090/v1
                    timeout_ms: 3000
                    ratio: 0.25
                    big: 1e20
                    enabled: true
                    off: false
                    nothing: null
                    empty:
                    quoted_number: "3000"
                    single: 'it''s'
                    text: "line \\"one\\"\\n\\ttab \\\\ back"
                    unicode: "héllo ☎"
                    list: [1, two, {three: 3}]
                    nested:
                      deeper: {a: [], b: {}}
                    multi: |
                      first
                      second
                  com.x.other: {}
            """)
        let tenant = try XCTUnwrap(configuration.tenant("acme"))
        XCTAssertEqual(tenant.settings["com.x.other"], "{}")
        XCTAssertNil(tenant.settings["com.x.triage"])
        let text = try XCTUnwrap(tenant.settings["com.x.tool"])
        XCTAssertTrue(text.hasPrefix(#"{"url":"http://backend:8090/v1","timeout_ms":3000,"ratio":0.25,"#), "file order: \(text)")
        let settings = try jsonObject(text)
        XCTAssertEqual(settings["url"] as? String, "http://backend:8090/v1")
        XCTAssertEqual(settings["timeout_ms"] as? Int, 3000)
        XCTAssertEqual(settings["ratio"] as? Double, 0.25)
        XCTAssertEqual(settings["big"] as? Double, 1e20)
        XCTAssertEqual(settings["enabled"] as? Bool, true)
        XCTAssertEqual(settings["off"] as? Bool, false)
        XCTAssertTrue(settings["nothing"] is NSNull)
        XCTAssertTrue(settings["empty"] is NSNull)
        XCTAssertEqual(settings["quoted_number"] as? String, "3000", "quoted scalars stay strings")
        XCTAssertEqual(settings["single"] as? String, "it's")
        XCTAssertEqual(settings["text"] as? String, "line \"one\"\n\ttab \\ back")
        XCTAssertEqual(settings["unicode"] as? String, "héllo ☎")
        let list = try XCTUnwrap(settings["list"] as? [Any])
        XCTAssertEqual(list.count, 3)
        XCTAssertEqual(list[0] as? Int, 1)
        XCTAssertEqual(list[1] as? String, "two")
        XCTAssertEqual((list[2] as? [String: Any])?["three"] as? Int, 3)
        let deeper = try XCTUnwrap((settings["nested"] as? [String: Any])?["deeper"] as? [String: Any])
        XCTAssertEqual((deeper["a"] as? [Any])?.count, 0)
        XCTAssertEqual((deeper["b"] as? [String: Any])?.count, 0)
        XCTAssertEqual(settings["multi"] as? String, "first\nsecond\n")
    }

    func testEnvironmentSubstitution() throws {
        let configuration = try parse("""
            redis:
              url: redis://:${REDIS_PASSWORD}@cache:6379/${REDIS_DB:-0}
            tenants:
              - id: acme
                plugins: [com.x.triage, com.x.tool]
                entry_agent: com.x.triage
                settings:
                  com.x.tool:
                    backend_url: ${BACKEND_URL}
                    api_key: "${API_KEY}"
                    region: ${REGION:-eu-west-1}
                    empty_falls_back: ${EMPTY:-fallback}
                    empty_kept: "[${EMPTY}]"
                    joined: ${SCHEME}://${HOST}:${PORT}/api
                    literal: "$${NOT_A_VARIABLE} and $5 and $"
                    number_from_env: ${PORT}
                    list: ["${HOST}", plain]
                    nested: {key: "${API_KEY}"}
            """, environment: ["REDIS_PASSWORD": "p@ss", "BACKEND_URL": "http://10.0.0.5:8090", "API_KEY": "k\"ey\\",
                               "EMPTY": "", "SCHEME": "https", "HOST": "example.com", "PORT": "8443"])
        XCTAssertEqual(configuration.redis.url, "redis://:p@ss@cache:6379/0")
        let settings = try jsonObject(configuration.tenants[0].settings["com.x.tool"])
        XCTAssertEqual(settings["backend_url"] as? String, "http://10.0.0.5:8090")
        XCTAssertEqual(settings["api_key"] as? String, "k\"ey\\", "values are JSON-escaped")
        XCTAssertEqual(settings["region"] as? String, "eu-west-1")
        XCTAssertEqual(settings["empty_falls_back"] as? String, "fallback")
        XCTAssertEqual(settings["empty_kept"] as? String, "[]")
        XCTAssertEqual(settings["joined"] as? String, "https://example.com:8443/api")
        XCTAssertEqual(settings["literal"] as? String, "${NOT_A_VARIABLE} and $5 and $")
        XCTAssertEqual(settings["number_from_env"] as? String, "8443", "substituted values are strings")
        XCTAssertEqual(settings["list"] as? [String], ["example.com", "plain"])
        XCTAssertEqual((settings["nested"] as? [String: Any])?["key"] as? String, "k\"ey\\")
    }

    func testEnvironmentSubstitutionErrors() {
        let head = """
            tenants:
              - id: acme
                plugins: [com.x.triage, com.x.tool]
                entry_agent: com.x.triage
                settings:
                  com.x.tool:

            """
        assertError(head + "        url: ${MISSING}\n",
                    #"t.yaml:7:14: tenant "acme": settings: "com.x.tool": environment variable MISSING is not set"#)
        assertError(head + "        deep: {list: [ok, \"${MISSING}\"]}\n",
                    #"t.yaml:7:27: tenant "acme": settings: "com.x.tool": environment variable MISSING is not set"#)
        assertError(head + "        url: ${UNCLOSED\n",
                    #"t.yaml:7:14: tenant "acme": settings: "com.x.tool": unterminated "${" (write "$${" for a literal "${")"#)
        assertError(head + "        url: ${1BAD}\n",
                    #"t.yaml:7:14: tenant "acme": settings: "com.x.tool": "${1BAD}" is not a variable reference like ${NAME} or ${NAME:-default}"#)
        assertError("""
            redis:
              url: ${REDIS_URL}
            tenants: [{id: t, plugins: [com.x.a], entry_agent: com.x.a}]
            """, "t.yaml:2:8: redis.url: environment variable REDIS_URL is not set")
    }

    func testSettingsErrors() {
        let head = """
            tenants:
              - id: acme
                plugins: [com.x.triage, com.x.tool]
                entry_agent: com.x.triage
                settings:

            """
        assertError(head + "      com.x.typo: {a: 1}\n",
                    #"t.yaml:6:7: tenant "acme": settings: "com.x.typo" is not in its plugins"#)
        assertError(head + "      com.x.tool: http://backend\n",
                    #"t.yaml:6:19: tenant "acme": settings: "com.x.tool" must be a mapping of settings (e.g. {} for none), got "http://backend""#)
        assertError(head + "      com.x.tool:\n",
                    #"t.yaml:6:18: tenant "acme": settings: "com.x.tool" must be a mapping of settings (e.g. {} for none), got nothing"#)
        assertError(head + "      com.x.tool: {a: 1}\n      com.x.tool: {a: 2}\n",
                    #"t.yaml:7:7: tenant "acme": settings: "com.x.tool" appears twice"#)
        assertError(head + "      com.x.tool: {a: 1, a: 2}\n",
                    #"t.yaml:6:26: tenant "acme": settings: "com.x.tool": duplicate key "a""#)
        assertError(head + "      com.x.tool: {a: .inf}\n",
                    #"t.yaml:6:23: tenant "acme": settings: "com.x.tool": .inf is not a finite number (JSON has no infinity or NaN)"#)
        assertError(head.replacingOccurrences(of: "    settings:\n", with: "    settings: [com.x.tool]\n"),
                    #"t.yaml:5:15: tenant "acme": settings: must map component ids to their settings, got a list"#)
    }

    // MARK: - validation errors, each at its line and column

    func testYAMLSyntaxErrorHasLineAndColumn() {
        assertError("""
            server:
              port: 8080
             host: 127.0.0.1
            tenants: []
            """, "t.yaml:3:2: invalid YAML: did not find expected key (while parsing a block mapping at 1:1)")
        assertError("""
            tenants:
              - id: "acme
            """, "t.yaml:2:14: invalid YAML: found unexpected end of stream (while scanning a quoted scalar at 2:9)")
        assertError("tenants: [a, b\n", "t.yaml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at 1:10)")
    }

    func testEmptyAndMissingTenants() {
        assertError("", "t.yaml:1:1: the configuration is empty (it needs at least tenants:)")
        assertError("# only a comment\n", "t.yaml:1:1: the configuration is empty (it needs at least tenants:)")
        assertError("- a\n- b\n", "t.yaml:1:1: must be a mapping (keys: server, redis, plugins, default_tenant, tenants, admin, console, sip, telemetry), got a list")
        assertError("server:\n  port: 8080\n", "t.yaml:1:1: tenants: at least one tenant is required (tenants: - id: ...)")
        assertError("server:\n  port: 8080\ntenants: []\n", "t.yaml:3:10: tenants: at least one tenant is required")
        assertError("tenants: acme\n", #"t.yaml:1:10: tenants: must be a list of tenants, got "acme""#)
    }

    func testUnknownKeysAreErrors() {
        assertError("""
            tenant:
              - id: acme
            """, #"t.yaml:1:1: unknown key "tenant" (did you mean "tenants"?)"#)
        assertError("""
            server:
              prot: 8080
            """, #"t.yaml:2:3: server: unknown key "prot" (did you mean "port"?)"#)
        assertError("""
            server:
              limits:
                max_body: 10
            """, #"t.yaml:3:5: server.limits: unknown key "max_body" (did you mean "max_body_bytes"?)"#)
        assertError("""
            redis:
              url: redis://localhost
              timeout_ms: 100
            """, #"t.yaml:3:3: redis: unknown key "timeout_ms""#)
        assertError("""
            plugins:
              directory: [/opt]
            """, #"t.yaml:2:3: plugins: unknown key "directory" (did you mean "directories"?)"#)
        assertError("""
            tenants:
              - id: acme
                plugins: [com.x.triage]
                entry_agnet: com.x.triage
            """, #"t.yaml:4:5: tenant "acme": unknown key "entry_agnet" (did you mean "entry_agent"?)"#)
        assertError("""
            tenants:
              - id: acme
                plugins: [com.x.triage]
                entry_agent: com.x.triage
                limits:
                  max_handoffs: 2
            """, #"t.yaml:6:7: tenant "acme": limits: unknown key "max_handoffs" (did you mean "max_handoffs_per_turn"?)"#)
        assertError("""
            tenants:
              - id: acme
                plugins: [com.x.triage]
                entry_agent: com.x.triage
                turn_detection: {threshold: 0.6, silence: 500}
            """, #"t.yaml:5:38: tenant "acme": turn_detection: unknown key "silence" (did you mean "silence_ms"?)"#)
    }

    func testDuplicateKeys() {
        assertError("""
            server:
              port: 8080
              port: 9090
            """, #"t.yaml:3:3: server: duplicate key "port" (first at line 2)"#)
    }

    func testDuplicateTenantIDs() {
        assertError("""
            tenants:
              - id: acme
                plugins: [com.x.triage]
                entry_agent: com.x.triage
              - id: globex
                plugins: [com.x.triage]
                entry_agent: com.x.triage
              - id: acme
                plugins: [com.x.triage]
                entry_agent: com.x.triage
            """, #"t.yaml:8:9: duplicate tenant id "acme" (first at line 2)"#)
    }

    func testDefaultTenant() {
        let tenants = """
            tenants:
              - id: acme
                plugins: [com.x.triage]
                entry_agent: com.x.triage
              - id: globex
                plugins: [com.x.triage]
                entry_agent: com.x.triage
            """
        assertError("default_tenant: initech\n" + tenants,
                    #"t.yaml:1:17: default_tenant: "initech" is not one of the tenants ("acme", "globex")"#)
        assertError(tenants, "t.yaml:1:1: default_tenant is required when there are several tenants")
        XCTAssertEqual(try parse("default_tenant: globex\n" + tenants).defaultTenant, "globex")
    }

    func testEntryAgentMustBeInPlugins() {
        assertError("""
            tenants:
              - id: acme
                plugins: [com.x.triage]
                entry_agent: com.x.billing
            """, #"t.yaml:4:18: tenant "acme": entry_agent "com.x.billing" is not in its plugins"#)
        assertError("""
            tenants:
              - id: acme
                plugins: [com.x.triage]
            """, #"t.yaml:2:5: tenant "acme": entry_agent is required"#)
    }

    func testTenantIDAndPlugins() {
        assertError("""
            tenants:
              - id: Acme
                plugins: [com.x.triage]
                entry_agent: com.x.triage
            """, #"t.yaml:2:9: tenants[0]: id: "Acme" must be lowercase letters, digits and '-', start with a letter or digit, at most 63 characters"#)
        assertError("""
            tenants:
              - id: ok
                plugins: [com.x.a]
                entry_agent: com.x.a
              - plugins: [com.x.a]
                entry_agent: com.x.a
            """, "t.yaml:5:5: tenants[1]: id is required")
        assertError("tenants: [{id: -acme, plugins: [com.x.a], entry_agent: com.x.a}]\n",
                    #"t.yaml:1:16: tenants[0]: id: "-acme" must be lowercase letters, digits and '-', start with a letter or digit, at most 63 characters"#)
        assertError("tenants: [{id: \(String(repeating: "a", count: 64)), plugins: [com.x.a], entry_agent: com.x.a}]\n",
                    #"t.yaml:1:16: tenants[0]: id: "\#(String(repeating: "a", count: 64))" must be lowercase letters, digits and '-', start with a letter or digit, at most 63 characters"#)
        XCTAssertNoThrow(try parse("tenants: [{id: \(String(repeating: "a", count: 63)), plugins: [com.x.a], entry_agent: com.x.a}]\n"))
        XCTAssertNoThrow(try parse("tenants: [{id: 0-a-9, plugins: [com.x.a], entry_agent: com.x.a}]\n"))
        assertError("""
            tenants:
              - id: acme
                entry_agent: com.x.triage
            """, #"t.yaml:2:5: tenant "acme": plugins: at least one plugin (component id) is required"#)
        assertError("""
            tenants:
              - id: acme
                plugins: []
                entry_agent: com.x.triage
            """, #"t.yaml:3:14: tenant "acme": plugins: at least one plugin (component id) is required"#)
        assertError("""
            tenants:
              - id: acme
                plugins:
                  - com.x.triage
                  - triage
                entry_agent: com.x.triage
            """, #"t.yaml:5:9: tenant "acme": plugins: "triage" is not a component id like com.example.support.billing"#)
        assertError("""
            tenants:
              - id: acme
                plugins:
                  - com.x.triage
                  - com.x.triage
                entry_agent: com.x.triage
            """, #"t.yaml:5:9: tenant "acme": plugins: "com.x.triage" is listed twice"#)
        assertError("""
            tenants:
              - id: acme
                plugins: com.x.triage
                entry_agent: com.x.triage
            """, #"t.yaml:3:14: tenant "acme": plugins: must be a list, got "com.x.triage""#)
    }

    func testAPIKeyFormat() {
        let yaml = """
            tenants:
              - id: acme
                api_keys:
                  - sha256:\(String(repeating: "f", count: 64))
                  - my-raw-secret-key
                plugins: [com.x.triage]
                entry_agent: com.x.triage
            """
        assertError(yaml, #"t.yaml:5:9: tenant "acme": api_keys: not a key hash: store "sha256:" and 64 hex digits, as printed by `agent-host hash-key KEY`"#)
        do {
            _ = try parse(yaml)
        } catch {
            XCTAssertFalse(error.description.contains("my-raw-secret-key"), "a raw key must not be echoed")
        }
        assertError("""
            tenants:
              - id: acme
                api_keys: [sha256:abc]
                plugins: [com.x.triage]
                entry_agent: com.x.triage
            """, #"t.yaml:3:16: tenant "acme": api_keys: not a key hash: store "sha256:" and 64 hex digits, as printed by `agent-host hash-key KEY`"#)
    }

    func testNumericRanges() {
        assertError("server:\n  port: 70000\n", "t.yaml:2:9: server.port: must be between 0 and 65535, got 70000")
        assertError("server:\n  port: -1\n", "t.yaml:2:9: server.port: must be between 0 and 65535, got -1")
        assertError("server:\n  port: eighty\n", #"t.yaml:2:9: server.port: must be an integer, got "eighty""#)
        assertError("server:\n  port: \"8080\"\n", #"t.yaml:2:9: server.port: must be an integer, got "8080""#)
        assertError("server:\n  port: 80.5\n", #"t.yaml:2:9: server.port: must be an integer, got "80.5""#)
        assertError("server:\n  max_sessions: 0\n", "t.yaml:2:17: server.max_sessions: must be between 1 and 1000000, got 0")
        assertError("server:\n  lost_call_sweep_seconds: -1\n", "t.yaml:2:28: server.lost_call_sweep_seconds: must be between 0 and 86400, got -1")
        assertError("server:\n  drain_deadline_seconds: 7200\n", "t.yaml:2:27: server.drain_deadline_seconds: must be between 0 and 3600, got 7200")
        assertError("server:\n  limits:\n    max_header_bytes: 10\n", "t.yaml:3:23: server.limits.max_header_bytes: must be between 1024 and 1048576, got 10")
        assertError("server:\n  limits: {max_ws_message_bytes: 1e9}\n", #"t.yaml:2:34: server.limits.max_ws_message_bytes: must be an integer, got "1e9""#)
        assertError("redis:\n  command_timeout_ms: 0\n", "t.yaml:2:23: redis.command_timeout_ms: must be between 10 and 60000, got 0")
        let tenant = """
            tenants:
              - id: acme
                plugins: [com.x.triage]
                entry_agent: com.x.triage

            """
        assertError(tenant + "    limits:\n      max_handoffs_per_turn: 500\n",
                    #"t.yaml:6:30: tenant "acme": limits.max_handoffs_per_turn: must be between 0 and 100, got 500"#)
        assertError(tenant + "    limits:\n      max_concurrent_sessions: 0\n",
                    #"t.yaml:6:32: tenant "acme": limits.max_concurrent_sessions: must be between 1 and 1000000, got 0"#)
        assertError(tenant + "    limits:\n      max_sessions_per_caller: many\n",
                    #"t.yaml:6:32: tenant "acme": limits.max_sessions_per_caller: must be an integer, got "many""#)
        assertError(tenant + "    limits:\n      step_timeout_ms: 10\n",
                    #"t.yaml:6:24: tenant "acme": limits.step_timeout_ms: must be between 100 and 600000, got 10"#)
        assertError(tenant + "    turn_detection:\n      threshold: 1.5\n",
                    #"t.yaml:6:18: tenant "acme": turn_detection.threshold: must be between 0.0 and 1.0, got 1.5"#)
        assertError(tenant + "    turn_detection:\n      threshold: high\n",
                    #"t.yaml:6:18: tenant "acme": turn_detection.threshold: must be a number, got "high""#)
        assertError(tenant + "    turn_detection:\n      silence_ms: 50\n",
                    #"t.yaml:6:19: tenant "acme": turn_detection.silence_ms: must be between 100 and 10000, got 50"#)
        assertError(tenant + "    turn_detection:\n      prefix_padding_ms: 5000\n",
                    #"t.yaml:6:26: tenant "acme": turn_detection.prefix_padding_ms: must be between 0 and 2000, got 5000"#)
        assertError(tenant + "    limits: 5\n", #"t.yaml:5:13: tenant "acme": limits: must be a mapping (keys: max_concurrent_sessions, max_sessions_per_caller, max_handoffs_per_turn, max_tool_calls_per_turn, step_timeout_ms), got "5""#)
    }

    func testOtherServerRedisAndPluginErrors() {
        let tenants = "tenants: [{id: t, plugins: [com.x.a], entry_agent: com.x.a}]\n"
        assertError("server:\n  host: localhost\n" + tenants,
                    #"t.yaml:2:9: server.host: "localhost" is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::1; names are not resolved)"#)
        XCTAssertEqual(try parse("server:\n  host: 0.0.0.0\n" + tenants).server.host, "0.0.0.0")
        assertError("redis:\n  url: http://cache:6379\n" + tenants,
                    "t.yaml:2:8: redis.url: must start with redis:// or unix:// (e.g. redis://127.0.0.1:6379/0)")
        XCTAssertNil(try parse("redis:\n  url: ${REDIS_URL:-}\n" + tenants).redis.url, "empty = no Redis")
        XCTAssertEqual(try parse("redis:\n  url: ${REDIS_URL:-}\n" + tenants, environment: ["REDIS_URL": "redis://r:6379"]).redis.url,
                       "redis://r:6379")
        assertError("plugins:\n  extensions: [agent_host.http]\n" + tenants,
                    #"t.yaml:2:16: plugins.extensions: "agent_host.http" is not an extension id like agent_host.http/1"#)
        assertError("plugins:\n  directories: []\n" + tenants,
                    "t.yaml:2:16: plugins.directories: must list at least one directory (leave it out for the default)")
        assertError("""
            tenants:
              - id: acme
                plugins: [com.x.triage]
                entry_agent: com.x.triage
                extensions:
                  - agent_host.timer/one
            """, #"t.yaml:6:9: tenant "acme": extensions: "agent_host.timer/one" is not an extension id like agent_host.http/1"#)
        assertError("server: 8080\n" + tenants,
                    #"t.yaml:1:9: server: must be a mapping (keys: host, port, loops, max_sessions, drain_deadline_seconds, lost_call_sweep_seconds, limits), got "8080""#)
    }

    func testErrorDescriptionAndMissingFile() {
        let error = ConfigurationError(file: "config.yaml", line: 14, column: 5, message: #"tenant "acme": entry_agent "x" is not in its plugins"#)
        XCTAssertEqual(error.description, #"config.yaml:14:5: tenant "acme": entry_agent "x" is not in its plugins"#)
        XCTAssertEqual(error.location, SourceLocation(line: 14, column: 5))
        XCTAssertEqual(ConfigurationError(file: "c.yaml", at: nil, "cannot read").description, "c.yaml: cannot read")

        XCTAssertThrowsError(try HostConfiguration.load(path: "/nonexistent/agent-host.yaml")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/agent-host.yaml: no such configuration file")
        }
        let directory = TemporaryDirectory()
        XCTAssertThrowsError(try HostConfiguration.load(path: directory.path)) { error in
            XCTAssertEqual("\(error)", "\(directory.path): cannot read the configuration file")
        }
        // A message is one line.
        XCTAssertThrowsError(try parse("tenants:\n  - id: \"acme\n")) { error in
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }
}

final class HostConfigurationListenerTests: XCTestCase {
    /// The WebSocket message limit in the file reaches the server's WebSocket configuration.
    func testTheWebSocketMessageLimitReachesTheListener() throws {
        let configuration = try HostConfiguration.parse("""
        server:
          limits:
            max_ws_message_bytes: 4096
        tenants:
          - id: demo
            entry_agent: com.agenthost.support.triage
            plugins: [com.agenthost.support.triage]
        """, file: "limits.yaml")
        XCTAssertEqual(configuration.server.http.webSocket.maxMessageBytes, 4096)
    }

    static let tenant = "tenants: [{id: demo, plugins: [com.x.a], entry_agent: com.x.a}]\n"

    /// The header deadline and the connection caps reach the listener; their defaults.
    func testTheHeaderDeadlineAndConnectionCapsReachTheListener() throws {
        let set = try HostConfiguration.parse("""
        server:
          limits:
            header_timeout_ms: 2500
            max_connections: 500
            max_connections_per_client: 20

        """ + Self.tenant, file: "limits.yaml")
        XCTAssertEqual(set.server.http.headerTimeoutMilliseconds, 2500)
        XCTAssertEqual(set.server.http.maxConnections, 500)
        XCTAssertEqual(set.server.http.maxConnectionsPerClient, 20)

        let defaults = try HostConfiguration.parse(Self.tenant, file: "limits.yaml").server.http
        XCTAssertEqual(defaults.headerTimeoutMilliseconds, 10_000)
        XCTAssertEqual(defaults.maxConnections, 10_000)
        XCTAssertEqual(defaults.maxConnectionsPerClient, 256)

        let small = try HostConfiguration.parse("server:\n  limits: {max_connections: 100}\n" + Self.tenant, file: "limits.yaml")
        XCTAssertEqual(small.server.http.maxConnectionsPerClient, 100, "an unset per-client cap never exceeds max_connections")
    }

    func testConnectionLimitErrorsNameTheirLine() {
        func error(_ yaml: String) -> String {
            do {
                _ = try HostConfiguration.parse(yaml + Self.tenant, file: "limits.yaml")
                return "no error"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(error("server:\n  limits:\n    header_timeout_ms: 50\n"),
                       "limits.yaml:3:24: server.limits.header_timeout_ms: must be between 100 and 600000, got 50")
        XCTAssertEqual(error("server:\n  limits:\n    max_connections: 0\n"),
                       "limits.yaml:3:22: server.limits.max_connections: must be between 1 and 1000000, got 0")
        XCTAssertEqual(error("server:\n  limits:\n    max_connections_per_client: lots\n"),
                       #"limits.yaml:3:33: server.limits.max_connections_per_client: must be an integer, got "lots""#)
        XCTAssertEqual(error("server:\n  limits:\n    max_connections: 10\n    max_connections_per_client: 20\n"),
                       "limits.yaml:4:33: server.limits.max_connections_per_client: 20 is above max_connections (10): lower it, or raise max_connections")
        XCTAssertEqual(error("server:\n  limits:\n    max_conections: 10\n"),
                       #"limits.yaml:3:5: server.limits: unknown key "max_conections" (did you mean "max_connections"?)"#)
    }

}

extension HostConfigurationTests {
    func testPluginLifecycleKeysAndTheirErrors() throws {
        let tenant = "tenants: [{id: t, plugins: [com.x.a], entry_agent: com.x.a}]\n"
        let parsed = try parse("plugins:\n  cache_directory: /var/cache/agent-host\n  allow_insecure_files: true\n" + tenant)
        XCTAssertEqual(parsed.plugins.cacheDirectory, "/var/cache/agent-host")
        XCTAssertTrue(parsed.plugins.allowInsecureFiles)
        assertError("plugins:\n  allow_insecure_files: maybe\n" + tenant, "t.yaml:2:25: plugins.allow_insecure_files: must be true or false, got \"maybe\"")
        assertError("plugins:\n  require_signature: true\n" + tenant,
                    "t.yaml:2:22: plugins.require_signature: needs at least one key in trusted_keys (an Ed25519 public key PEM file)")
        assertError("plugins:\n  trusted_keys: [/nonexistent/public.pem]\n" + tenant,
                    "t.yaml:2:18: plugins.trusted_keys: cannot read the public key /nonexistent/public.pem")

        let pinned = try parse("tenants: [{id: t, entry_agent: com.x.a, plugins: [{id: com.x.a, version: \"2.0.0\", sha256: \"\(String(repeating: "ab", count: 32))\"}]}]\n")
        XCTAssertEqual(pinned.tenants[0].pins["com.x.a"]?.version, "2.0.0")
        XCTAssertEqual(pinned.tenants[0].pins["com.x.a"]?.sha256, String(repeating: "ab", count: 32))
        assertError("tenants: [{id: t, entry_agent: com.x.a, plugins: [{id: com.x.a, sha256: abc}]}]\n",
                    "t.yaml:1:73: tenant \"t\": plugins[0].sha256: must be the file's sha256 as 64 hex digits (`sha256sum FILE`, or `agent-host plugins inspect FILE`)")

        let admin = try parse("admin:\n  port: 9191\n  api_keys: [\"\(APIKeys.hash("k"))\"]\n" + tenant)
        XCTAssertEqual(admin.admin?.port, 9191)
        XCTAssertEqual(admin.admin?.host, "127.0.0.1")
        XCTAssertNil(try parse(tenant).admin, "off by default")
        assertError("admin:\n  port: 9191\n" + tenant,
                    "t.yaml:2:3: admin: api_keys needs at least one key hash (`agent-host hash-key KEY`): the admin listener never runs without keys")
    }
}
