import Foundation
import Glibc

/// A TCP client with every way of going away a real client has — close frame, FIN, RST — and just
/// enough WebSocket (masked client frames out, unmasked server frames in) to drive a socket to a
/// chosen point of its life. For fault tests against a real server; blocking, with timeouts.
public final class RawClientSocket {
    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public private(set) var fd: Int32
    private var buffer: [UInt8] = []

    public init(port: Int, receiveTimeoutMilliseconds: Int = 5_000) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port): errno \(errno)")
        }
        var timeout = timeval(tv_sec: receiveTimeoutMilliseconds / 1000, tv_usec: (receiveTimeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Sends a WebSocket upgrade for `path` and reads the response head; its status code (0 if none).
    @discardableResult
    public func webSocketHandshake(path: String) -> Int {
        send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                return Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
            guard fill() else { return 0 }
        }
    }

    /// A masked client frame (`opcode` 1 text, 2 binary, 8 close).
    public func sendFrame(opcode: UInt8, _ payload: [UInt8]) {
        var frame: [UInt8] = [0x80 | opcode]
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        send(frame)
    }

    public func sendText(_ text: String) { sendFrame(opcode: 1, Array(text.utf8)) }

    public func sendClose(code: UInt16 = 1000) { sendFrame(opcode: 8, [UInt8(code >> 8), UInt8(code & 0xFF)]) }

    /// The next server frame: (opcode, payload), nil on timeout or EOF.
    public func readFrame() -> (opcode: UInt8, payload: [UInt8])? {
        while true {
            if buffer.count >= 2 {
                let opcode = buffer[0] & 0x0F
                var length = Int(buffer[1] & 0x7F)
                var offset = 2
                if length == 126, buffer.count >= 4 {
                    length = Int(buffer[2]) << 8 | Int(buffer[3])
                    offset = 4
                } else if length == 127, buffer.count >= 10 {
                    length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
                    offset = 10
                }
                if length < 126 || offset > 2, buffer.count >= offset + length {
                    let payload = Array(buffer[offset..<(offset + length)])
                    buffer.removeFirst(offset + length)
                    return (opcode, payload)
                }
            }
            guard fill() else { return nil }
        }
    }

    /// Text frames as JSON objects until one of type `type` (included); nil if the socket ends first.
    public func events(until type: String) -> [[String: Any]]? {
        var events: [[String: Any]] = []
        while let frame = readFrame() {
            guard frame.opcode == 1 else {
                if frame.opcode == 8 { return nil }
                continue
            }
            guard let event = (try? JSONSerialization.jsonObject(with: Data(frame.payload))) as? [String: Any] else { continue }
            events.append(event)
            if event["type"] as? String == type { return events }
        }
        return nil
    }

    /// FIN: the client is done sending, then closes.
    public func finish() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// RST: close with a zero linger, the way a crashed client's kernel ends the connection.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
        fd = -1
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer += chunk[0..<count]
        return true
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}
