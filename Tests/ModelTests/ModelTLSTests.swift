import Foundation
import HostModels
import HostNet
import ModelStandIn
import TestSupport
import XCTest

/// The Chat Completions client over TLS (the stand-in behind the loopback TLS terminator): the
/// tenant's `ca_file` makes a private CA trusted; without it the certificate is refused.
final class ModelTLSTests: XCTestCase {
    func testTheClientTrustsTheConfiguredCAAndRefusesWithoutIt() throws {
        let directory = TemporaryDirectory(prefix: "model-tls")
        let certificates = try TestCertificates.make(in: directory.path)
        let standIn = ChatCompletionsStandIn(apiKey: "sk-tls")
        try standIn.start()
        defer { standIn.stop() }
        let terminator = try TLSTerminator(certificates: certificates, backendPort: standIn.port)
        defer { terminator.stop() }
        let loop = EventLoop(name: "model-tls-test")
        loop.start()
        let http = HTTPClient(loop: loop)
        defer { http.close(); loop.stop() }

        func complete(caFile: String?) -> ChatStreamEvent? {
            var endpoint = ChatCompletionsEndpoint(baseURL: "https://127.0.0.1:\(terminator.port)/v1", model: "gpt-4o-mini", apiKey: Secret("sk-tls"))
            endpoint.caFile = caFile
            endpoint.maxRetries = 0
            let end = LockedBox<ChatStreamEvent?>(nil)
            let done = DispatchSemaphore(value: 0)
            ChatCompletionsClient(endpoint: endpoint, http: http).stream(messages: [.user("hi")], toolsJSON: "[]") { event in
                if case .text = event { return }
                end.value = event
                done.signal()
            }
            XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
            return end.value
        }

        standIn.enqueue(.text("Secure hello."))
        guard case .completed(let completion) = complete(caFile: certificates.caFile) else { return XCTFail("TLS with the CA file failed") }
        XCTAssertEqual(completion.text, "Secure hello.")
        XCTAssertEqual(standIn.requests.last?.headers["authorization"], "Bearer sk-tls")

        let before = standIn.requests.count
        guard case .failed(let failure) = complete(caFile: nil) else { return XCTFail("an unknown CA must be refused") }
        XCTAssertEqual(failure.reason, .connection)
        XCTAssertTrue(failure.message.lowercased().contains("certificate"), failure.message)
        XCTAssertEqual(standIn.requests.count, before, "nothing reached the model without a trusted certificate")
    }
}
