import Foundation
import Glibc
import HostTestSupport

/// A loopback TCP listener that never accepts and never answers: the kernel completes the
/// handshake from the backlog, so a client connects and then hears nothing.
final class SilentTCPServer {
    let port: Int
    private var fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { close(fd); throw RedisTestServer.Failure(description: "silent server setup failed") }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes the listener: connections still in its accept queue are reset (RST).
    func shutdown() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { shutdown() }
}
