import Foundation
import HostModels
import HostTenancy
import TestSupport
import XCTest

/// The tenant's `model:` section: values, the key's sources, and errors with their place.
final class ModelConfigurationTests: XCTestCase {
    private func yaml(_ model: String) -> String {
        """
        tenants:
          - id: acme
            plugins: [com.agenthost.support.triage]
            entry_agent: com.agenthost.support.triage
            model:
        \(model.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
        """
    }

    func testAFullSectionIsRead() throws {
        let configuration = try HostConfiguration.parse(yaml("""
            provider: openai-compatible
            base_url: https://api.openai.com/v1
            model: gpt-4o-mini
            api_key_env: ACME_OPENAI_KEY
            temperature: 0.3
            max_retries: 4
            timeouts: {connect_ms: 1000, first_byte_ms: 9000, idle_ms: 3000, total_ms: 30000}
            """), environment: ["ACME_OPENAI_KEY": "sk-from-env\n"])
        let model = try XCTUnwrap(configuration.tenantConfigurations.first?.model)
        XCTAssertEqual(model.baseURL, "https://api.openai.com/v1")
        XCTAssertEqual(model.chatCompletionsURL, "https://api.openai.com/v1/chat/completions")
        XCTAssertEqual(model.apiKey?.reveal(), "sk-from-env")
        XCTAssertEqual(model.temperature, 0.3)
        XCTAssertEqual(model.maxRetries, 4)
        XCTAssertEqual(model.timeouts.firstByteMilliseconds, 9000)
        XCTAssertFalse("\(configuration)".contains("sk-from-env"), "a printed configuration hides the key")
    }

    func testWithoutTheSectionTheTenantHasNoModel() throws {
        let configuration = try HostConfiguration.parse("""
            tenants:
              - id: acme
                plugins: [com.agenthost.support.triage]
                entry_agent: com.agenthost.support.triage
            """)
        XCTAssertNil(configuration.tenantConfigurations.first?.model)
    }

    func testAMissingKeyVariableIsAnErrorAtItsPlace() {
        XCTAssertThrowsError(try HostConfiguration.parse(yaml("base_url: https://api.openai.com/v1\nmodel: gpt-4o\napi_key_env: NOT_SET_ANYWHERE"),
                                                         file: "host.yaml", environment: [:])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("host.yaml:8:"), text)
            XCTAssertTrue(text.contains("NOT_SET_ANYWHERE is not set"), text)
        }
    }

    func testAKeyFileReadableByOthersIsRefusedAndAPrivateOneIsRead() throws {
        let directory = TemporaryDirectory(prefix: "model-key")
        let path = directory.file("openai.key")
        try "sk-from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        let section = "base_url: https://api.openai.com/v1\nmodel: gpt-4o\napi_key_file: \(path)"
        XCTAssertThrowsError(try HostConfiguration.parse(yaml(section))) { error in
            XCTAssertTrue("\(error)".contains("chmod 600"), "\(error)")
            XCTAssertFalse("\(error)".contains("sk-from-file"))
        }
        chmod(path, 0o600)
        XCTAssertEqual(try HostConfiguration.parse(yaml(section)).tenants[0].model?.apiKey?.reveal(), "sk-from-file")
    }

    func testAKeyIsNeverSentInPlainTextToAnotherMachine() {
        XCTAssertThrowsError(try HostConfiguration.parse(yaml("base_url: http://models.example.com/v1\nmodel: m\napi_key_env: K"),
                                                         environment: ["K": "sk-x"])) { error in
            XCTAssertTrue("\(error)".contains("unencrypted"), "\(error)")
        }
        // Ollama on this machine: plain http, no key.
        XCTAssertNoThrow(try HostConfiguration.parse(yaml("base_url: http://127.0.0.1:11434/v1\nmodel: llama3.1")))
    }

    func testUnknownKeysAndProvidersAreRefused() {
        XCTAssertThrowsError(try HostConfiguration.parse(yaml("base_url: https://x/v1\nmodel: m\ntemprature: 1"))) { error in
            XCTAssertTrue("\(error)".contains("did you mean \"temperature\""), "\(error)")
        }
        XCTAssertThrowsError(try HostConfiguration.parse(yaml("provider: anthropic\nbase_url: https://x/v1\nmodel: m"))) { error in
            XCTAssertTrue("\(error)".contains("openai-compatible"), "\(error)")
        }
    }
}
