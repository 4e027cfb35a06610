import Foundation
import HostNet
import ModelStandIn
import TestSupport
import XCTest

/// A plaintext WebSocket echo server behind a `TLSTerminator` with a throwaway CA.
final class TLSFixture {
    let directory = TemporaryDirectory(prefix: "realtime-tls")
    let loop = EventLoop(name: "tls-fixture")
    let certificates: TestCertificates
    let server: HTTPServer
    let terminator: TLSTerminator

    /// `names`: what the server certificate is valid for.
    init(names: [String] = ["127.0.0.1", "localhost"]) throws {
        certificates = try TestCertificates.make(in: directory.path, names: names)
        loop.start()
        var configuration = HTTPServer.Configuration()
        configuration.webSocket = WebSocketConfiguration(log: { _ in })
        server = HTTPServer(loop: loop, configuration: configuration, handler: { _, respond in
            respond(HTTPResponse(status: 404, text: "not here"))
        }, upgrade: { _ in
            .accept(WebSocketHandler(onText: { connection, text in connection.send(text: text) }))
        })
        try server.start()
        terminator = try TLSTerminator(certificates: certificates, backendPort: server.port)
    }

    deinit {
        terminator.stop()
        server.stop()
        loop.stop()
    }

    var quiet: WebSocketConfiguration { WebSocketConfiguration(handshakeTimeoutMilliseconds: 5_000, log: { _ in }) }

    /// Waits (up to 5 s) for `condition`, polling; for counters other threads update.
    func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while !condition() {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
