import HostNet
import ModelStandIn
import XCTest

/// Our WebSocket client's TLS (HostNet/TLS, client mode) against the loopback `TLSTerminator`
/// (server mode) with a CA made for the test: trusted only when passed explicitly.
final class TLSTests: XCTestCase {
    func testHandshakeWithTheCAPassedExplicitlyCarriesWebSocketTraffic() throws {
        let fixture = try TLSFixture()
        for host in ["127.0.0.1", "localhost"] {
            let client = try BlockingWebSocket(url: "wss://\(host):\(fixture.terminator.port)/echo",
                                               configuration: fixture.quiet, tls: TLSClientConfiguration(caFile: fixture.certificates.caFile))
            client.send(text: "hello over TLS via \(host)")
            XCTAssertEqual(client.receive(), .text("hello over TLS via \(host)"))
            // Larger than one TLS record (16 KiB) both ways.
            let big = String(repeating: "0123456789abcdef", count: 20_000)
            client.send(text: big)
            XCTAssertEqual(client.receive(), .text(big))
            XCTAssertEqual(client.close()?.code, WebSocketCloseCode.normal)
        }
        XCTAssertEqual(fixture.terminator.completedHandshakes, 2)
        XCTAssertEqual(fixture.terminator.failedHandshakes, 0)
    }

    func testWithoutTheCATheSystemStoreRefusesTheServer() throws {
        let fixture = try TLSFixture()
        XCTAssertThrowsError(try BlockingWebSocket(url: "wss://localhost:\(fixture.terminator.port)/", configuration: fixture.quiet)) { error in
            let error = error as? WebSocketClientError
            XCTAssertEqual(error?.kind, .tls)
            XCTAssertEqual(error?.tlsError?.kind, .verification)
            XCTAssertEqual(error?.message, "certificate verify failed: unable to get local issuer certificate (pass the CA with ca_file)")
        }
        // The client told the server why (an alert), and nothing reached the backend.
        XCTAssertTrue(fixture.eventually { fixture.terminator.failedHandshakes == 1 })
        XCTAssertEqual(fixture.terminator.completedHandshakes, 0)
        XCTAssertTrue(fixture.terminator.lastFailure?.contains("unknown ca") ?? false, fixture.terminator.lastFailure ?? "nil")
    }

    func testACertificateForAnotherNameIsRefused() throws {
        let fixture = try TLSFixture(names: ["other.example"])
        let trusted = TLSClientConfiguration(caFile: fixture.certificates.caFile)
        XCTAssertThrowsError(try BlockingWebSocket(url: "wss://127.0.0.1:\(fixture.terminator.port)/", configuration: fixture.quiet, tls: trusted)) { error in
            let error = error as? WebSocketClientError
            XCTAssertEqual(error?.tlsError?.kind, .verification)
            XCTAssertEqual(error?.message, "certificate verify failed: IP address mismatch (the certificate does not name 127.0.0.1; connect by a name it lists)")
        }
        XCTAssertThrowsError(try BlockingWebSocket(url: "wss://localhost:\(fixture.terminator.port)/", configuration: fixture.quiet, tls: trusted)) { error in
            XCTAssertEqual((error as? WebSocketClientError)?.message,
                           "certificate verify failed: hostname mismatch (the certificate does not name localhost; connect by a name it lists)")
        }
        // The expected name can be given apart from the address connected to (SNI and check).
        let named = TLSClientConfiguration(caFile: fixture.certificates.caFile, serverName: "other.example")
        let client = try BlockingWebSocket(url: "wss://127.0.0.1:\(fixture.terminator.port)/", configuration: fixture.quiet, tls: named)
        client.send(text: "named")
        XCTAssertEqual(client.receive(), .text("named"))
    }

    func testAnUnreadableCAFileIsAConfigurationError() throws {
        XCTAssertThrowsError(try BlockingWebSocket(url: "wss://127.0.0.1:1/", tls: TLSClientConfiguration(caFile: "/nonexistent/ca.pem"))) { error in
            let error = error as? WebSocketClientError
            XCTAssertEqual(error?.tlsError?.kind, .configuration)
            XCTAssertTrue(error?.message.hasPrefix("cannot load CA file /nonexistent/ca.pem") ?? false, error?.message ?? "nil")
        }
    }

    func testAPlaintextServerIsNotMistakenForTLS() throws {
        let fixture = try TLSFixture()
        // The echo server itself speaks no TLS: it answers the ClientHello with an HTTP 400.
        XCTAssertThrowsError(try BlockingWebSocket(url: "wss://127.0.0.1:\(fixture.server.port)/", configuration: fixture.quiet,
                                                   tls: TLSClientConfiguration(caFile: fixture.certificates.caFile))) { error in
            let error = error as? WebSocketClientError
            XCTAssertEqual(error?.kind, .tls)
            XCTAssertEqual(error?.tlsError?.kind, .handshake)
        }
    }
}
