import Foundation
import Glibc

/// A blocking loopback client speaking just enough HTTP/1.1, for bytes no real client sends.
final class Client {
    enum Read { case bytes([UInt8]), closed, nothing }

    private let fd: Int32
    private var buffered: [UInt8] = []

    init(port: Int, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        struct Failure: Error { let code: Int32 }
        func address(_ ip: String, _ port: Int) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr(ip)
            return address
        }
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        if let source {
            var local = address(source, 0)
            guard withUnsafePointer(to: &local, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }) == 0 else {
                let code = errno
                close(fd)
                throw Failure(code: code)
            }
        }
        var remote = address("127.0.0.1", port)
        guard withUnsafePointer(to: &remote, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, size) } }) == 0 else {
            let code = errno
            close(fd)
            throw Failure(code: code)
        }
        setTimeout(milliseconds: 3_000)
    }

    deinit { close(fd) }

    private func setTimeout(milliseconds: Int) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func get(_ path: String) -> (status: Int, headers: [String: String], body: String)? {
        send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        return readResponse()
    }

    /// Whatever has arrived, without waiting.
    func readAvailable() -> Read {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
        if count > 0 { return .bytes(Array(chunk[..<count])) }
        if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { return .closed }
        return .nothing
    }

    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// One response (Content-Length framed); nil on timeout or close first.
    func readResponse(timeoutMilliseconds: Int = 3_000) -> (status: Int, headers: [String: String], body: String)? {
        setTimeout(milliseconds: timeoutMilliseconds)
        defer { setTimeout(milliseconds: 3_000) }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffered[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                let status = head.first.flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                if buffered.count >= end + 4 + length {
                    let body = String(decoding: buffered[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                    buffered.removeFirst(end + 4 + length)
                    return (status, headers, body)
                }
            }
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffered += chunk[..<count]
        }
    }

    private func headEnd() -> Int? {
        guard buffered.count >= 4 else { return nil }
        for i in 0...(buffered.count - 4) where buffered[i] == 13 && buffered[i + 1] == 10 && buffered[i + 2] == 13 && buffered[i + 3] == 10 {
            return i
        }
        return nil
    }
}
