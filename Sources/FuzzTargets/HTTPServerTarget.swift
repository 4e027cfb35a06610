import FuzzKit
import HostNet
import Synchronization

/// The whole server path: bytes written to a real loopback socket of an in-process `HTTPServer`
/// (HTTPConnection's state machine, keep-alive, pipelining, limits, the WebSocket upgrade and an
/// echoing WebSocket behind it). The server must answer or close every connection promptly (its
/// idle timeouts are short here), every response must be well-formed with a status below 500,
/// and it must keep serving: every 100 inputs a clean request must still get its answer.
enum HTTPServerTarget {
    static let target = FuzzTarget(
        name: "http-server",
        summary: "HTTPServer over loopback: any bytes get a well-formed answer or a close, never a 5xx or a hang",
        dictionary: HTTPParserTarget.target.dictionary.map { String(decoding: $0, as: UTF8.self) }
            + ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "Sec-WebSocket-Version: 13\r\n", "GET /ws HTTP/1.1\r\n"],
        byteTokens: [[0x81, 0x85, 1, 2, 3, 4], [0x88, 0x80, 0, 0, 0, 0], [0x89, 0x80, 0, 0, 0, 0], [0x82, 0xFE, 0xFF, 0xFF]],
        maxInputLength: 8_192
    ) { input throws(FuzzFailure) in
        let server = Server.shared
        let count = server.inputs.add(1, ordering: .relaxed).newValue
        let reply = try exchange(server.port, input)
        let statuses = try responses(reply)
        if count % 100 == 0 {
            let health = try responses(try exchange(server.port, Array("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)))
            try fuzzCheckEqual(health, [204], "a clean request after \(count) fuzzed connections")
        }
        return signature(statuses.map { "\($0)" })
    }

    /// One server for the process, started on first use.
    final class Server: Sendable {
        static let shared = Server()
        let loop: EventLoop
        let server: HTTPServer
        let port: Int
        let inputs = Atomic<Int>(0)

        private init() {
            loop = EventLoop(name: "fuzz-http-server")
            loop.start()
            var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, maxHeaderBytes: 2_048, maxBodyBytes: 4_096,
                                                         idleTimeoutMilliseconds: 50)
            configuration.webSocket = WebSocketConfiguration(maxMessageBytes: 4_096, idleTimeoutMilliseconds: 100,
                                                             closeTimeoutMilliseconds: 100, log: { _ in })
            let echo = WebSocketHandler(onText: { $0.send(text: $1) }, onBinary: { $0.send(binary: $1) })
            server = HTTPServer(loop: loop, configuration: configuration,
                                handler: { _, respond in respond(HTTPResponse(status: 204)) },
                                upgrade: { _ in .accept(echo) })
            do {
                port = try server.start()
            } catch {
                fatalError("fuzz http-server: cannot listen on loopback: \(error)")
            }
        }
    }

    static func exchange(_ port: Int, _ bytes: [UInt8]) throws(FuzzFailure) -> [UInt8] {
        do throws(HTTPWire.Problem) {
            return try HTTPWire.exchange(port: port, bytes)
        } catch {
            throw FuzzFailure(error.description)
        }
    }

    /// The statuses of the responses; a 5xx for client input is a failure, except 505 (the
    /// client asked for an HTTP version other than 1.x: RFC 9110 §15.6.6 names it so).
    static func responses(_ reply: [UInt8]) throws(FuzzFailure) -> [Int] {
        let parsed: [HTTPWire.Response]
        do throws(HTTPWire.Problem) {
            parsed = try HTTPWire.responses(reply)
        } catch {
            throw FuzzFailure(error.description)
        }
        for response in parsed where response.status >= 500 && response.status != 505 {
            throw FuzzFailure("a \(response.status) for client input: \(HTTPWire.shown(reply))")
        }
        return parsed.map(\.status)
    }
}
