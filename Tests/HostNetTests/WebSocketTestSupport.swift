import Dispatch
import Foundation
import Glibc
import HostNet
import Synchronization
import XCTest

/// A LoopTestCase that also serves WebSocket upgrades and quiets the WebSocket log.
class WebSocketTestCase: LoopTestCase {
    private var webSocketServers: [HTTPServer] = []
    /// Log lines the servers wrote (slow peers, protocol violations).
    let logLines = Recorder<String>()

    override func tearDown() {
        for server in webSocketServers { server.stop() }
        webSocketServers = []
        super.tearDown()
    }

    func quietConfiguration() -> WebSocketConfiguration {
        let lines = logLines
        return WebSocketConfiguration(log: { lines.append($0) })
    }

    /// Serves `route` for upgrades and 404 for plain HTTP; returns the port.
    func serveWebSocket(_ configuration: WebSocketConfiguration? = nil,
                        route: @escaping @Sendable (HTTPRequest) -> WebSocketRoute) throws -> HTTPServer {
        var settings = HTTPServer.Configuration()
        settings.webSocket = configuration ?? quietConfiguration()
        let server = HTTPServer(loop: loop, configuration: settings, handler: { _, respond in
            respond(HTTPResponse(status: 404, text: "not found"))
        }, upgrade: route)
        try server.start()
        webSocketServers.append(server)
        return server
    }

    /// An echo server: text back as text, binary back as binary; closes are recorded.
    func serveEcho(_ configuration: WebSocketConfiguration? = nil, closes: Recorder<UInt16>? = nil) throws -> HTTPServer {
        try serveWebSocket(configuration) { _ in
            .accept(WebSocketHandler(
                onText: { connection, text in connection.send(text: text) },
                onBinary: { connection, bytes in connection.send(binary: bytes) },
                onClose: { _, code, _ in closes?.append(code) }))
        }
    }

    /// Polls `condition` until it holds or `timeout` passes.
    func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }
}

/// A blocking socket speaking WebSocket by hand, for bytes no well-behaved client would send.
final class RawWebSocket {
    struct Frame: Equatable {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        /// The status code of a close frame (1005 when it has none).
        var closeCode: UInt16 { payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005 }
    }

    static let rfcKey = "dGhlIHNhbXBsZSBub25jZQ=="
    private var fd: Int32
    private var buffered: [UInt8] = []

    /// Connects to 127.0.0.1:`port`; a small `receiveBuffer` makes a slow reader.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(code: code)
        }
        setReceiveTimeout(milliseconds: 3_000)
    }

    deinit { close() }

    /// Closes the socket (as a client does after the server's close frame).
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    func setReceiveTimeout(milliseconds: Int) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends a handshake (override or drop lines with `headers`: a nil value removes the field)
    /// and reads the answer's head and body.
    func handshake(path: String = "/", method: String = "GET", headers: [String: String?] = [:]) -> (status: Int, headers: [String: String], body: String)? {
        var fields: [(String, String)] = [
            ("Host", "127.0.0.1"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", Self.rfcKey), ("Sec-WebSocket-Version", "13"),
        ]
        for (name, value) in headers {
            fields.removeAll { $0.0.lowercased() == name.lowercased() }
            if let value { fields.append((name, value)) }
        }
        var text = "\(method) \(path) HTTP/1.1\r\n"
        for (name, value) in fields { text += "\(name): \(value)\r\n" }
        send(Array((text + "\r\n").utf8))
        return readResponse()
    }

    /// Opens the connection with the RFC's key; fails the test unless the server answers 101.
    func open(path: String = "/", file: StaticString = #filePath, line: UInt = #line) {
        let response = handshake(path: path)
        XCTAssertEqual(response?.status, 101, file: file, line: line)
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// One masked frame (unless `masked` is false); `firstByte` overrides FIN/RSV/opcode.
    func sendFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, masked: Bool = true, firstByte: UInt8? = nil) {
        var frame = WebSocketFrame.encode(opcode, payload: payload, fin: fin, maskKey: masked ? UInt32.random(in: 1 ... .max) : nil)
        if let firstByte { frame[0] = firstByte }
        send(frame)
    }

    func sendText(_ text: String, fin: Bool = true) { sendFrame(.text, Array(text.utf8), fin: fin) }

    func sendClose(code: UInt16, reason: String = "") {
        sendFrame(.close, WebSocketFrame.closePayload(code: code, reason: reason))
    }

    /// The next frame the server sent; nil on EOF or timeout.
    func readFrame() -> Frame? {
        guard fill(to: 2) else { return nil }
        let b0 = buffered[0], b1 = buffered[1]
        var length = Int(b1 & 0x7F)
        var header = 2
        if length == 126 {
            guard fill(to: 4) else { return nil }
            length = Int(buffered[2]) << 8 | Int(buffered[3])
            header = 4
        } else if length == 127 {
            guard fill(to: 10) else { return nil }
            length = buffered[2..<10].reduce(0) { $0 << 8 | Int($1) }
            header = 10
        }
        XCTAssertEqual(b1 & 0x80, 0, "server frames are never masked")
        guard fill(to: header + length) else { return nil }
        let frame = Frame(fin: b0 & 0x80 != 0, opcode: b0 & 0x0F, payload: Array(buffered[header..<(header + length)]))
        buffered.removeFirst(header + length)
        return frame
    }

    /// Reads frames until a close frame; returns its code and reason (nil on EOF/timeout first).
    func readClose() -> (code: UInt16, reason: String)? {
        while let frame = readFrame() {
            if frame.opcode == 0x8 { return (frame.closeCode, String(decoding: frame.payload.dropFirst(2), as: UTF8.self)) }
        }
        return nil
    }

    /// True when the server closes TCP (EOF or reset) within the receive timeout.
    func waitForEOF() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// Reads an HTTP response (a 101 has no body).
    func readResponse() -> (status: Int, headers: [String: String], body: String)? {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffered[..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = status == 101 ? 0 : Int(headers["content-length"] ?? "0") ?? 0
                guard fill(to: end + 4 + length) else { return nil }
                let body = String(decoding: buffered[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                buffered.removeFirst(end + 4 + length)
                return (status, headers, body)
            }
            guard fill(to: buffered.count + 1) else { return nil }
        }
    }

    private func fill(to count: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while buffered.count < count {
            let received = recv(fd, &chunk, chunk.count, 0)
            guard received > 0 else { return false }
            buffered += chunk[..<received]
        }
        return true
    }

    private func headEnd() -> Int? {
        guard buffered.count >= 4 else { return nil }
        for i in 0...(buffered.count - 4) where buffered[i] == 13 && buffered[i + 1] == 10 && buffered[i + 2] == 13 && buffered[i + 3] == 10 {
            return i
        }
        return nil
    }
}
